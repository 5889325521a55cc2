//! Dispatch: who is on call, and (soon) the alert, the accept or pass,
//! and the escalation chain with durable timers.

pub mod hours;
pub mod schedule;
