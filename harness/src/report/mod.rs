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

/// The name the recorded-AWS facts report under, as a target would: what targets are measured
/// against, never ranked among them.
pub const REFERENCE: &str = "aws-recorded";

/// Collects every target's latest results into `<reports>/matrix.{json,md,html}`; how many targets.
pub fn write_matrix(reports: &std::path::Path) -> std::io::Result<usize> {
    let targets = matrix::collect(reports);
    std::fs::write(reports.join("matrix.json"), serde_json::to_string_pretty(&matrix::to_json(&targets)).expect("matrix serialises") + "\n")?;
    std::fs::write(reports.join("matrix.md"), matrix::to_markdown(&targets))?;
    let snapshots = matrix_page::load_snapshots(reports, &targets);
    let histories = targets.iter().map(|t| (t.target.clone(), history::load(reports, &t.target))).collect();
    std::fs::write(reports.join("matrix.html"), matrix_page::to_html(&targets, &snapshots, &histories))?;
    Ok(targets.len())
}
pub use result::{Attempt, SpecResult, Status, StepRecord};
