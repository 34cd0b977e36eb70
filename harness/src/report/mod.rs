//! Reports: the result model, known divergences, and the formats written from them.

pub mod coverage;
pub mod diff;
pub mod evidence;
pub mod expectations;
pub mod history;
pub mod junit;
pub mod matrix;
pub mod matrix_page;
pub mod model_coverage;
pub mod normalize;
pub mod ranking;
pub mod result;
pub mod snapshot;
pub mod unordered;

pub use expectations::{Expectations, Verdict};
pub use result::{Attempt, SpecResult, Status, StepRecord};
