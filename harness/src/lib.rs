//! conform: runs declarative YAML specs of AWS service behaviour against AWS and emulators.
//!
//! Layers, each depending only on those below it:
//! `cli` → `engine` → {`spec`, `targets`, `check`, `evidence`, `report`, `sdk_parse`} → `services` → `model`.

pub mod suggest;
pub mod model;
pub mod services;
pub mod spec;
pub mod check;
pub mod evidence;
pub mod wire;
pub mod sdk_parse;
pub mod targets;
pub mod report;
pub mod engine;
pub mod cli;
pub mod faults;
