//! What a new user meets (issue #22): piping into `head`, bad flags, an endpoint where nothing
//! listens, subset runs, a diff of two targets. Each is answered the way a careful CLI does.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn conform(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root()).args(args).env("NO_COLOR", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Reports in a temporary directory holding a copy of a target's expectations file.
fn reports_with(target: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("expectations")).unwrap();
    let file = format!("{target}.yaml");
    std::fs::copy(root().join("reports/expectations").join(&file), dir.path().join("expectations").join(&file)).unwrap();
    dir
}

#[test]
fn a_listing_piped_into_head_ends_quietly() {
    let reports = tempfile::tempdir().unwrap();
    for args in [&["list"][..], &["diff", "moto", "kinesalite"], &["evidence", "--reports", reports.path().to_str().unwrap()]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(root())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        // The reader is gone, as `head -1` is after its line.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty(), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && out.status.code() != Some(101), "{args:?}: {:?} {stderr}", out.status);
    }
}

#[test]
fn bad_target_and_job_flags_are_exit_2_with_a_suggestion() {
    let (code, _, stderr) = conform(&["run", "--jobs", "0"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = conform(&["run", "--target", "kinesalit"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("did you mean `kinesalite`?") && stderr.contains("aws") && stderr.contains("endpoint"), "{stderr}");
    let (code, _, stderr) = conform(&["run", "--target", "localstack+moto"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`localstack` runs alone"), "{stderr}");
}

#[test]
fn a_filter_that_matches_nothing_starts_nothing_and_writes_nothing() {
    let reports = reports_with("moto");
    let (code, _, stderr) = conform(&["run", "--filter", "no-such-spec-anywhere", "--reports", reports.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no spec matches --filter no-such-spec-anywhere"), "{stderr}");
    assert!(!reports.path().join("moto").exists(), "no results.json for a run that ran nothing");
}

#[test]
fn an_endpoint_where_nothing_listens_is_exit_3_within_seconds_and_leaks_nothing() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let reports = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, _, stderr) =
        conform(&["run", "specs/sqs/basic", "--endpoint", &format!("http://127.0.0.1:{port}"), "--reports", reports.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    assert!(stderr.contains(&format!("nothing answers at http://127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("LEAK") && !stderr.contains("ERROR") && !stderr.contains("--update"), "{stderr}");
}

#[test]
fn a_subset_run_is_quiet_about_specs_it_did_not_select_and_says_where_its_reports_are() {
    let reports = reports_with("moto");
    let (code, _, stderr) = conform(&["run", "specs/sqs/basic/get-queue-url.yaml", "--no-snapshots", "--reports", reports.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("which is not a spec"), "{stderr}");
    assert!(stderr.contains(&format!("reports: {}", reports.path().join("moto/results.json").display())), "{stderr}");
    assert!(stderr.contains("conform matrix"), "{stderr}");
}

#[test]
fn a_diff_compares_the_specs_both_targets_ran_and_knows_its_targets() {
    let (code, stdout, stderr) = conform(&["diff", "moto", "kinesalite"]);
    assert_eq!(code, 0, "{stderr}");
    let summary = stdout.lines().last().unwrap();
    assert!(summary.contains("specs both ran differ between moto and kinesalite") && summary.contains("ran only on moto, 0 only on kinesalite"), "{summary}");
    // Kinesalite serves Kinesis only: no SQS spec is listed as a difference.
    assert!(!stdout.lines().any(|l| l.starts_with("sqs/")), "{stdout}");
    let (code, _, stderr) = conform(&["diff", "nosuch", "moto"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = conform(&["diff", "mot", "moto"]);
    assert!(code == 2 && stderr.contains("did you mean `moto`?"), "{stderr}");
}
