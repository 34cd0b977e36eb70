//! The matrix page works in a real browser: headless Chromium (Debian's `chromium`) loads
//! reports/matrix.html built from two targets' results and snapshots at several URL fragments,
//! and the DOM shows the summary, only the rows each filter selects, and an opened cell's reason,
//! snapshot and diff; a screenshot is taken (kept in target/ for a human to look at).
//! Skips, saying so, where no Chromium is installed; .ci/run installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use conform::report::matrix::{Cell, SpecRow, TargetResults};

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
                file: format!("specs/{id}.yaml"),
                tags: vec!["core".into()],
                cell: Cell {
                    verdict: verdict.to_string(),
                    message: (*verdict != "pass").then(|| "step 2: $.Messages: expected length 1, found 0".into()),
                    reason: match *verdict {
                        "expected-divergence" => Some("the emulator ignores the attribute".into()),
                        "unexpected-pass" => Some("it used to drop the attribute".into()),
                        _ => None,
                    },
                    link: None,
                    model_findings: if *verdict == "fail" { vec!["2 sqs.ReceiveMessage: $.Messages[0].MD5OfBody: missing".into()] } else { Vec::new() },
                },
            })
            .collect(),
    }
}

/// A snapshot file as `conform run` writes it, with a status and a marker to find in the DOM.
fn write_snapshot(reports: &Path, target: &str, id: &str, status: u16) {
    std::fs::create_dir_all(reports.join(target)).unwrap();
    let body = serde_json::json!({ "id": id, "exchanges": [{ "step": "1 sqs.SendMessage", "response": { "status": status, "body": { "Marker": format!("snapshot-of-{id}-on-{target}") } } }] });
    let text = format!("---\nsource: specs/{id}.yaml\nexpression: {id}\n---\n{}\n", serde_json::to_string_pretty(&body).unwrap());
    std::fs::write(reports.join(target).join(format!("{}.snap", id.replace('/', "__"))), text).unwrap();
}

/// The DOM after the page's script ran, at `fragment`.
fn dom(browser: &Path, profile: &Path, page: &Path, fragment: &str) -> String {
    let url = format!("file://{}#{fragment}", page.display());
    let out = headless(browser, profile).args(["--virtual-time-budget=3000", "--dump-dom"]).arg(&url).output().expect("chromium runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The spec ids of the matrix rows the DOM shows (rows the filter hid carry `hidden`).
fn visible_rows(dom: &str) -> Vec<String> {
    dom.split("<tr data-id=\"")
        .skip(1)
        .filter_map(|tag| {
            let (id, rest) = tag.split_once('"')?;
            let open = &rest[..rest.find('>')?];
            (!open.contains("hidden")).then(|| id.to_owned())
        })
        .collect()
}

#[test]
fn matrix_page_renders_filters_and_opens_cells_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no Chromium found (install Debian's `chromium`, or set CHROMIUM); the page was not rendered");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for t in [
        results("moto", &[("sqs/a", "pass"), ("sqs/b", "expected-divergence"), ("kinesis/c", "fail"), ("sqs/fifo-d", "fail"), ("sqs/e", "unexpected-pass")]),
        results("localstack", &[("sqs/a", "pass"), ("sqs/b", "pass"), ("kinesis/c", "skipped-as-gap"), ("sqs/fifo-d", "pass"), ("sqs/e", "pass")]),
        results("aws-recorded", &[("sqs/b", "recorded-agrees")]),
    ] {
        let name = t.target.clone();
        t.save_merged(&dir.path().join(name).join("results.json")).unwrap();
    }
    for (target, status) in [("moto", 200), ("localstack", 400), ("aws-recorded", 400)] {
        write_snapshot(dir.path(), target, "sqs/b", status);
    }
    assert_eq!(conform::report::write_matrix(dir.path()).unwrap(), 3);
    let page = dir.path().join("matrix.html");
    let profile = dir.path().join("profile");

    let all = dom(&browser, &profile, &page, "");
    assert!(all.contains("<table id=\"matrix\">"), "no matrix table in the rendered DOM:\n{all}");
    assert_eq!(visible_rows(&all), ["kinesis/c", "sqs/a", "sqs/b", "sqs/e", "sqs/fifo-d"], "{all}");
    assert!(all.contains("5 of 5 specs"), "{all}");
    // The ranking: per service, every target over the same specs, the closest marked. In sqs
    // localstack passes 4 of 4 and moto 1 of the same 4; over all services (5 specs) moto's failing
    // kinesis spec and localstack's kinesis gap count alike.
    let sqs = all.split("<tr data-service=\"sqs\">").nth(1).unwrap().split("</tr>").next().unwrap();
    let best = sqs.find("<li class=\"best\"").expect("a best target");
    assert!(best < sqs.find("<span class=\"name\">localstack</span> <b>100%</b> <small>4/4</small>").unwrap(), "{sqs}");
    assert!(sqs.contains("<span class=\"name\">moto</span> <b>25%</b> <small>1/4</small>"), "{sqs}");
    let every = all.split("<tr data-service=\"all\">").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(every.contains("<b>80%</b> <small>4/5</small>") && every.contains("<b>20%</b> <small>1/5</small>") && every.contains(">1 gap</a>"), "{every}");
    assert!(every.contains(">3 unexpected</a>") && every.contains(">2 findings</a>"), "{every}");
    assert!(!every.contains("aws-recorded"), "the reference is not ranked: {every}");
    assert!(all.contains("<table id=\"runs\">"), "{all}");

    // Only the rows where one target behaves as AWS does and the other does not (a gap says nothing).
    let differing = dom(&browser, &profile, &page, "differs=1");
    assert_eq!(visible_rows(&differing), ["sqs/b", "sqs/fifo-d"], "{differing}");
    assert!(differing.contains("2 of 5 specs"));
    let searched = dom(&browser, &profile, &page, "differs=1&q=fifo");
    assert_eq!(visible_rows(&searched), ["sqs/fifo-d"]);
    let failing = dom(&browser, &profile, &page, "service=kinesis&verdict=fail&target=moto");
    assert_eq!(visible_rows(&failing), ["kinesis/c"]);
    assert!(visible_rows(&dom(&browser, &profile, &page, "verdict=fail&target=localstack")).is_empty());

    // An unexpected pass is not headed as a divergence.
    let passed = dom(&browser, &profile, &page, "open=sqs/e&on=moto");
    let panel = passed.split("<aside id=\"panel\"").nth(1).expect("a panel").split("</aside>").next().unwrap();
    assert!(panel.contains("Listed as a divergence, yet it passed") && !panel.contains("Why it diverges"), "{panel}");

    // A cell opened from the fragment: its reason, its snapshot, and the diff against the other target.
    let fragment = "differs=1&open=sqs/b&on=moto&vs=localstack";
    let opened = dom(&browser, &profile, &page, fragment);
    let panel = opened.split("<aside id=\"panel\"").nth(1).expect("a panel");
    assert!(!panel.starts_with(" hidden"), "the panel is open:\n{panel}");
    assert!(panel.contains("the emulator ignores the attribute") && panel.contains("expectations/moto.yaml"), "{panel}");
    assert!(panel.contains("snapshot-of-sqs/b-on-moto"), "moto's snapshot is shown:\n{panel}");
    assert!(panel.contains("<td>$.exchanges[0].response.status</td><td>200</td><td>400</td>"), "the field-level diff:\n{panel}");
    assert!(panel.contains("<td>$.exchanges[0].response.body.Marker</td>"), "{panel}");
    // The diverging step beside what AWS was recorded answering there, and a link to the spec.
    assert!(panel.contains("Diverging step: 1 sqs.SendMessage") && panel.contains("AWS answered (recorded)"), "{panel}");
    assert!(panel.contains("snapshot-of-sqs/b-on-aws-recorded"), "{panel}");
    assert!(panel.contains("href=\"../specs/sqs/b.yaml\""), "{panel}");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("matrix.png");
    let _ = std::fs::remove_file(&shot);
    let url = format!("file://{}#{fragment}", page.display());
    let status = headless(&browser, &profile).args(["--virtual-time-budget=3000", &format!("--screenshot={}", shot.display())]).arg(&url).status().unwrap();
    assert!(status.success());
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 1280);
    eprintln!("screenshot: {}", shot.display());
}
