//! Record: the receipt of every contact, and the sinks it is written to.
//!
//! A receipt is built from the stored facts of a contact (its words, the
//! assessment, the decision, the messages sent and the handoff steps) and
//! written to the store first; sinks get it afterwards through the job
//! queue, each version once.

pub mod receipt;
pub mod sinks;

pub use receipt::{Receipt, HandoffStep};
