//! Verdicts: matchers over single responses, and history checkers over whole workloads.

pub mod history;
pub mod matcher;

pub use matcher::{check, CheckResult};
