//! `conform evidence`: every spec against the AWS recordings it cites; and the corpus half of `check`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{exit, load, print_spec_errors, Selection};
use crate::evidence::{self, Corpus, Verdict};
use crate::report::evidence::REFERENCE;
use crate::spec::{Spec, SpecErrors};

#[derive(Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// The recorded-AWS corpus.
    #[arg(long, default_value = evidence::corpus::DEFAULT_DIR)]
    pub corpus: PathBuf,
    /// Where evidence.md and evidence.json go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

pub fn run(args: &EvidenceArgs) -> u8 {
    let (specs, corpus) = match load_with_corpus(&args.selection, &args.corpus) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let results = evidence::crosscheck(&specs, &corpus);
    let n = corpus.recordings.len();
    let report = crate::report::evidence::markdown(&results, n);
    let json = serde_json::to_string_pretty(&crate::report::evidence::json(&results, n)).expect("serialisable");
    for (name, text) in [("evidence.md", report), ("evidence.json", json)] {
        let path = args.reports.join(name);
        if let Err(e) = std::fs::create_dir_all(&args.reports).and_then(|()| std::fs::write(&path, text)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::BAD_INPUT;
        }
    }
    if let Err(e) = write_reference(&args.reports, &results, &specs, &corpus) {
        eprintln!("error: cannot write {}/{}: {e}", args.reports.display(), REFERENCE);
        return exit::BAD_INPUT;
    }
    let mut out = String::new();
    for r in results.iter().filter(|r| r.verdict == Verdict::RecordedContradicts) {
        for c in r.cited() {
            for f in c.comparisons.iter().filter(|f| !f.agrees) {
                out += &format!("CONTRADICTS {} {} [{}] {}: spec {} / AWS {}\n", r.id, c.step, c.recording, f.what, f.spec, f.recorded);
            }
        }
    }
    out += &crate::report::evidence::summary(&results, n);
    out.push('\n');
    // A reader that stops early (`conform evidence | head`) closes the pipe: that is not an error.
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(out.as_bytes()).and_then(|()| std::io::stdout().lock().flush());
    eprintln!("wrote {}/evidence.md and evidence.json", args.reports.display());
    if results.iter().any(|r| r.verdict == Verdict::RecordedContradicts) {
        exit::UNEXPLAINED
    } else {
        exit::OK
    }
}

/// `reports/aws-recorded/`: a results.json for the matrix's reference column and a snapshot per spec
/// with evidence, for `conform diff aws-recorded <target>`. Rewritten whole: a stale file would
/// claim evidence that no longer exists.
fn write_reference(reports: &Path, results: &[evidence::SpecEvidence], specs: &[Spec], corpus: &Corpus) -> std::io::Result<()> {
    use crate::report::{evidence as report, snapshot};
    let dir = reports.join(REFERENCE);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    report::reference_results(results, specs, corpus).save_merged(&dir.join("results.json"))?;
    for r in results.iter().filter(|r| r.cited().next().is_some()) {
        let body = serde_json::to_string_pretty(&report::reference_snapshot(r, corpus)).expect("serialisable");
        let text = format!("---\nsource: {}\nexpression: {}\ninfo:\n  target: {REFERENCE}\n---\n{body}\n", r.file, r.id);
        std::fs::write(dir.join(snapshot::file_name(&r.id)), text)?;
    }
    Ok(())
}

/// The selected specs and the corpus, with every cited id resolved: errors (exit 2) otherwise.
pub fn load_with_corpus(selection: &Selection, corpus_dir: &Path) -> Result<(Vec<Spec>, Corpus), u8> {
    let specs = load(selection)?;
    let corpus = Corpus::load(corpus_dir).map_err(|errors| {
        errors.iter().for_each(print_spec_errors);
        eprintln!("error: the recorded-AWS corpus under {} has problems", corpus_dir.display());
        exit::BAD_INPUT
    })?;
    let unknown = evidence::unknown_citations(&specs, &corpus);
    if !unknown.is_empty() {
        let count = unknown.len();
        print_spec_errors(&SpecErrors { file: "specs".into(), errors: unknown });
        eprintln!("error: {count} evidence id(s) name no recording");
        return Err(exit::BAD_INPUT);
    }
    Ok((specs, corpus))
}
