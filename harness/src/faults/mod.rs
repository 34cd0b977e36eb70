//! Fault injection for testing the harness itself: a seeded proxy that makes the network between
//! conform and an emulator flaky, and the audit of a run through it. Used by `tests/fault_proxy.rs`
//! and `examples/fault_injection.rs` (bench/fault-injection); `conform run` never goes through it.

pub mod audit;
pub mod proxy;

pub use audit::{leftovers, Audit};
pub use proxy::{Fault, FaultProxy, Phase, Plan};
