//! `conform diff A B`: the fields where two targets' snapshots differ, on the specs both ran.

use std::path::Path;

use super::exit;
use crate::check::matcher::brief;
use crate::report::diff::{compare_targets, snapshot_ids};
use crate::suggest::did_you_mean;

pub fn diff(reports: &Path, left: &str, right: &str) -> u8 {
    for target in [left, right] {
        if snapshot_ids(reports, target).is_empty() {
            let known: Vec<String> = std::fs::read_dir(reports)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|name| !snapshot_ids(reports, name).is_empty())
                .collect();
            let hint = did_you_mean(target, known.iter().map(String::as_str)).map(|b| format!("; did you mean `{b}`?")).unwrap_or_default();
            eprintln!("error: no snapshots under {}/{target}{hint} (targets with snapshots: {})", reports.display(), known.join(", "));
            return exit::BAD_INPUT;
        }
    }
    let compared = compare_targets(reports, left, right);
    let show = |v: &Option<serde_json::Value>| v.as_ref().map_or("(absent)".to_string(), brief);
    let mut differing = 0;
    for (id, differences) in compared.both.iter().filter(|(_, d)| !d.is_empty()) {
        differing += 1;
        println!("{id}");
        for d in differences {
            println!("  {}\n    {left}: {}\n    {right}: {}", d.path, show(&d.left), show(&d.right));
        }
    }
    println!(
        "{differing} of {} specs both ran differ between {left} and {right}; {} ran only on {left}, {} only on {right}",
        compared.both.len(),
        compared.only_left,
        compared.only_right
    );
    exit::OK
}
