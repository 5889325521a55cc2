//! nightdesk answers a home-service contractor's phone after hours.
//!
//! The pipeline, one module a stage (see ARCHITECTURE.md):
//! `intake` turns whatever arrived into a `Case`; `assessment` finds the
//! facts, trade, area and urgency; `decision` picks the lane by the
//! owner's route table; `dispatch` alerts and escalates; `record` writes
//! the receipt. The edges: `config`, `rules`, `twilio`, `store`, `cli`.

pub mod assessment;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod dashboard;
pub mod decision;
pub mod dispatch;
pub mod intake;
pub mod record;
pub mod replay;
pub mod rules;
pub mod server;
pub mod standin;
pub mod store;
pub mod triage;
pub mod twilio;
pub mod weather;
