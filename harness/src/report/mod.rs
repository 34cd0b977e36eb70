//! Reports: the result model, known divergences, and the formats written from them.

pub mod expectations;
pub mod junit;
pub mod result;

pub use expectations::{Expectations, Verdict};
pub use result::{Attempt, SpecResult, Status, StepRecord};
