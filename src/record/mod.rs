//! Record: the receipt of every contact, and the sinks it is written to.
//!
//! A receipt is built from the stored facts of a contact (its words, the
//! assessment, the decision, the messages sent and their delivery
//! statuses, the handoff steps) and written to the store first; the
//! outbox then copies each version to each sink once. The photos a
//! caller texts are fetched and kept beside it (`media`).

pub mod media;
pub mod outbox;
pub mod receipt;
pub mod sinks;
pub mod standins;
pub mod status;

pub use receipt::{HandoffStep, Receipt};
