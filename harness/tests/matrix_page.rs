//! The matrix page renders in a real browser: headless Chromium (Debian's `chromium`) loads
//! reports/matrix.html built from two targets' results, the DOM has a row per spec with coloured
//! cells, and a screenshot is taken (kept in target/ for a human to look at).
//! Skips, saying so, where no Chromium is installed; .ci/run installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use conform::report::matrix::{self, Cell, SpecRow, TargetResults};

fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists()))
}

fn headless(browser: &Path, profile: &Path) -> Command {
    let mut command = Command::new(browser);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

fn results(target: &str, verdicts: &[(&str, &str)]) -> TargetResults {
    TargetResults {
        target: target.into(),
        version: Some("1.0".into()),
        specs: verdicts
            .iter()
            .map(|(id, verdict)| SpecRow {
                id: id.to_string(),
                title: format!("{id} behaves as documented"),
                source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html".into(),
                tags: vec!["core".into()],
                cell: Cell {
                    verdict: verdict.to_string(),
                    message: (*verdict != "pass").then(|| "step 2: $.Messages: expected length 1, found 0".into()),
                    reason: (*verdict == "expected-divergence").then(|| "the emulator ignores the attribute".into()),
                    link: None,
                    model_findings: Vec::new(),
                },
            })
            .collect(),
    }
}

#[test]
fn matrix_page_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no Chromium found (install Debian's `chromium`, or set CHROMIUM); the page was not rendered");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for t in [
        results("moto", &[("sqs/a", "pass"), ("sqs/b", "expected-divergence"), ("kinesis/c", "fail")]),
        results("localstack", &[("sqs/a", "pass"), ("sqs/b", "pass"), ("kinesis/c", "skipped-as-gap")]),
    ] {
        let name = t.target.clone();
        t.save_merged(&dir.path().join(name).join("results.json")).unwrap();
    }
    assert_eq!(matrix::write_all(dir.path()).unwrap(), 2);
    let page = dir.path().join("matrix.html");
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");

    let dom = headless(&browser, &profile).arg("--dump-dom").arg(&url).output().expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<table id=\"matrix\">"), "no matrix table in the rendered DOM:\n{dom}");
    assert_eq!(dom.matches("<tr>").count(), 4, "a header row and a row per spec:\n{dom}");
    assert!(dom.contains("class=\"cell expected-divergence\"") && dom.contains("the emulator ignores the attribute"));
    assert!(dom.contains("class=\"cell skipped-as-gap\""));

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("matrix.png");
    let _ = std::fs::remove_file(&shot);
    let status = headless(&browser, &profile).arg(format!("--screenshot={}", shot.display())).arg(&url).status().unwrap();
    assert!(status.success());
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 1280);
    eprintln!("screenshot: {}", shot.display());
}
