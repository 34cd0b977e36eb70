//! `conform coverage` and `conform expectations update`: reports maintainers regenerate.

use std::path::PathBuf;

use super::{exit, load, print_spec_errors, Selection};

use crate::spec;

pub fn coverage(catalogue: &std::path::Path, notes: &std::path::Path, out_of_reach: &std::path::Path, out: &std::path::Path) -> u8 {
    use crate::report::coverage;
    let Ok(markdown) = std::fs::read_to_string(catalogue) else {
        eprintln!("error: cannot read the catalogue {}", catalogue.display());
        return exit::BAD_INPUT;
    };
    let Ok(notes) = read_yaml_or_default::<std::collections::BTreeMap<String, String>>(notes) else { return exit::BAD_INPUT };
    let Ok(out_of_reach) = read_yaml_or_default::<crate::report::model_coverage::OutOfReach>(out_of_reach) else { return exit::BAD_INPUT };
    let specs = match load(&Selection { paths: vec![PathBuf::from("specs")], tags: Vec::new(), filter: None, partition: None }) {
        Ok(specs) => specs,
        Err(code) => return code,
    };
    let rows = coverage::parse_catalogue(&markdown);
    let doc = coverage::render(&rows, &specs, &notes, &out_of_reach);
    if let Err(e) = std::fs::write(out, &doc) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return exit::BAD_INPUT;
    }
    eprintln!("wrote {}: {}", out.display(), doc.lines().find(|l| l.starts_with("**")).unwrap_or(""));
    let models = doc.split("## Against AWS's service models").nth(1).unwrap_or("");
    models.lines().filter(|l| l.starts_with("| ")).for_each(|l| println!("{l}"));
    exit::OK
}

/// A YAML file of the project, or the default when it does not exist; its errors are printed with
/// their location.
fn read_yaml_or_default<T: serde::de::DeserializeOwned + Default>(path: &std::path::Path) -> Result<T, ()> {
    match std::fs::read_to_string(path) {
        Ok(text) => spec::parse_yaml(&path.display().to_string(), &text).map_err(|e| print_spec_errors(&e)),
        Err(_) => Ok(T::default()),
    }
}

pub fn update_expectations(reports: &std::path::Path, target: &str) -> u8 {
    use crate::report::matrix::TargetResults;
    use crate::report::{Expectations, Verdict};
    let results_file = reports.join(target).join("results.json");
    let Some(results) = std::fs::read_to_string(&results_file).ok().and_then(|t| serde_json::from_str::<TargetResults>(&t).ok()) else {
        eprintln!("error: no results at {}: run `conform run --target {target}` first", results_file.display());
        return exit::BAD_INPUT;
    };
    let mut expectations = match Expectations::load(reports, target) {
        Ok(e) => e,
        Err(e) => {
            print_spec_errors(&e);
            return exit::BAD_INPUT;
        }
    };
    let parse = |v: &str| match v {
        "fail" => Verdict::Fail,
        "error" => Verdict::Error,
        "unexpected-pass" => Verdict::UnexpectedPass,
        "pass" => Verdict::Pass,
        "new-divergence" => Verdict::NewDivergence,
        "expected-divergence" => Verdict::ExpectedDivergence,
        "skipped-as-gap" => Verdict::SkippedAsGap,
        _ => Verdict::Skipped,
    };
    let verdicts: Vec<(String, Verdict)> = results.specs.iter().map(|s| (s.id.clone(), parse(&s.cell.verdict))).collect();
    let (added, removed) = expectations.update_from(&verdicts);
    let path = Expectations::path_for(reports, target);
    if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent")).and_then(|_| std::fs::write(&path, expectations.render())) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return exit::BAD_INPUT;
    }
    eprintln!("{}: {added} added (reason TODO: fill it in), {removed} removed; review it before committing", path.display());
    exit::OK
}


