//! nightdesk's integration tests, one binary: the real server on
//! loopback with the Twilio stand-in, the store on a temp SQLite file and
//! on a fresh PostgreSQL database, the `nightdesk` binary killed and
//! restarted, and Twilio's own Python library as an independent client.
//! Fixtures come from `../shared/data`.

mod it {
    pub mod check;
    pub mod corpus;
    pub mod crash;
    pub mod dashboard;
    pub mod dispatch;
    pub mod doors;
    pub mod helpers;
    pub mod independent;
    pub mod lanes;
    pub mod media;
    pub mod sinks;
    pub mod store;
    pub mod transfer;
    pub mod webhooks;
}
