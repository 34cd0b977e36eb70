//! `conform merge`: the reports of a run split with `--partition` (one reports directory per CI
//! job, or one directory all shards wrote to), combined into what the unsplit run would have left:
//! each target's results.json, with the rows of every shard's `results.K-of-N.json` in place of the
//! old ones, and its snapshots, accepted and pending.

use std::path::{Path, PathBuf};

use clap::Args;

use super::exit;
use crate::report::history;
use crate::report::matrix::TargetResults;

#[derive(Args)]
pub struct MergeArgs {
    /// Reports directories the shards wrote (`conform run --partition K/N`).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Where the merged reports go (it may be one of the shards' directories).
    #[arg(long, default_value = "reports")]
    into: PathBuf,
}

pub fn merge(args: &MergeArgs) -> u8 {
    let mut merged = 0;
    let mut targets = std::collections::BTreeSet::new();
    for shard in &args.shards {
        let Ok(entries) = std::fs::read_dir(shard) else {
            eprintln!("error: {} is not a reports directory", shard.display());
            return exit::BAD_INPUT;
        };
        for dir in entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()) {
            let into = args.into.join(dir.file_name().expect("a directory has a name"));
            match merge_target(&dir, &into) {
                Ok(n) => {
                    merged += n;
                    if n > 0 {
                        targets.insert(into);
                    }
                }
                Err(e) => {
                    eprintln!("error: merging {}: {e}", dir.display());
                    return exit::BAD_INPUT;
                }
            }
        }
    }
    if merged == 0 {
        eprintln!("error: no <target>/results.K-of-N.json under {}: run `conform run --partition K/N` first", list(&args.shards));
        return exit::BAD_INPUT;
    }
    // The shards together are one whole-suite run: it goes into each target's history.
    for into in &targets {
        let Some(rows) = std::fs::read_to_string(into.join("results.json")).ok().and_then(|t| serde_json::from_str::<TargetResults>(&t).ok()) else { continue };
        let run = history::Run::of(&rows, chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(), history::current_commit());
        if let Err(e) = history::record(&args.into, &rows.target, run) {
            eprintln!("warning: cannot record the run in {}: {e}", history::path(&args.into, &rows.target).display());
        }
    }
    eprintln!("merged {merged} shard result file(s) into {}/*/results.json", args.into.display());
    exit::OK
}

/// One shard's rows and snapshots for one target, added to `into`; how many shard files it held.
fn merge_target(shard: &Path, into: &Path) -> Result<usize, String> {
    let files: Vec<PathBuf> = std::fs::read_dir(shard).map_err(|e| e.to_string())?.filter_map(Result::ok).map(|e| e.path()).collect();
    let name = |p: &Path| p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    let is_shard_file = |n: &str| n.starts_with("results.") && n.ends_with(".json") && n.contains("-of-");
    let shard_files: Vec<&PathBuf> = files.iter().filter(|p| is_shard_file(&name(p))).collect();
    if shard_files.is_empty() {
        return Ok(0);
    }
    std::fs::create_dir_all(into).map_err(|e| e.to_string())?;
    if shard.canonicalize().ok() != into.canonicalize().ok() {
        for file in files.iter().filter(|p| name(p).ends_with(".snap") || name(p).ends_with(".snap.new")) {
            std::fs::copy(file, into.join(name(file))).map_err(|e| format!("{}: {e}", file.display()))?;
        }
    }
    for file in &shard_files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let rows: TargetResults = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        rows.save_merged(&into.join("results.json")).map_err(|e| e.to_string())?;
    }
    Ok(shard_files.len())
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}
