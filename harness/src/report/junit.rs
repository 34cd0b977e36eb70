//! JUnit XML: one test case per spec, so CI systems list specs by id and show why each failed.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Expectations, SpecResult, Verdict};

/// `leaks`: resources the run could not delete, reported as a failing `teardown` case so no CI
/// system shows the run green.
pub fn render(target: &str, results: &[SpecResult], expectations: &Expectations, leaks: &[String]) -> String {
    let mut suite = TestSuite::new(format!("conform ({target})"));
    for result in results {
        let verdict = expectations.judge(result);
        let mut status = match verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Fail | Verdict::NewDivergence | Verdict::UnexpectedPass => TestCaseStatus::non_success(NonSuccessKind::Failure),
            Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
            Verdict::ExpectedDivergence | Verdict::Skipped | Verdict::SkippedAsGap => TestCaseStatus::skipped(),
        };
        let message = match verdict {
            Verdict::ExpectedDivergence => {
                format!("expected divergence: {}", expectations.divergence(&result.id).map_or("", |d| d.reason.as_str()))
            }
            Verdict::UnexpectedPass => "passed, but the expectations file lists it as divergent: remove the entry".into(),
            _ => result.message.clone().unwrap_or_default(),
        };
        if verdict != Verdict::Pass {
            status.set_message(message);
            if let Some(location) = &result.location {
                status.set_description(format!("at {location}\nsource: {}", result.source));
            }
        }
        let mut case = TestCase::new(result.id.clone(), status);
        case.set_classname(target.to_owned()).set_time(result.duration);
        // Model findings ride along as properties: a plain pass stays a pass for CI systems, and
        // the findings are listed next to it (`conform run --fail-on-shape` gates on new ones).
        let unexplained = expectations.unexplained_shape(result);
        for (step, finding) in result.shape_findings() {
            let known = !unexplained.contains(&(step.clone(), finding.clone()));
            let name = if known { "model-finding (expected)" } else { "model-finding" };
            case.add_property(quick_junit::Property::new(name, format!("{step} {finding}")));
        }
        suite.add_test_case(case);
    }
    if !leaks.is_empty() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(format!("{} resource(s) could not be deleted", leaks.len()));
        status.set_description(leaks.join("\n"));
        let mut case = TestCase::new("teardown", status);
        case.set_classname(target.to_owned());
        suite.add_test_case(case);
    }
    let mut report = Report::new("conform");
    report.add_test_suite(suite);
    report.to_string().expect("JUnit XML serialises")
}
