//! Dispatch: who is on call, each lane's plan, the alert and the replies,
//! run by a worker from jobs in the store, and the human lane's warm
//! transfer, run by Twilio's webhooks while the caller waits.

pub mod booking;
pub mod calendar;
pub mod coverage;
pub mod escalation;
pub mod hours;
pub mod ical;
pub mod link;
pub mod plan;
pub mod replies;
pub mod schedule;
pub mod transfer;
pub mod worker;
