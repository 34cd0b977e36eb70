//! The command line as a user meets it: bad specs are reported with file:line:col and exit 2.

use std::process::Command;

fn conform(args: &[&str]) -> (i32, String, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root).args(args).env("NO_COLOR", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn check_points_at_each_problem_and_exits_2() {
    let (code, _, stderr) = conform(&["check", "fixtures/malformed"]);
    assert_eq!(code, 2, "{stderr}");
    // serde reports the unknown key first and stops; fix it and the next problems show.
    assert!(stderr.contains("fixtures/malformed/typo.yaml:12:5: unknown key `expct`"), "{stderr}");
    assert!(stderr.contains("did you mean `expect`?"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let fixed = std::fs::read_to_string("../fixtures/malformed/typo.yaml").unwrap().replace("expct", "expect");
    let path = dir.path().join("typo.yaml");
    std::fs::write(&path, fixed).unwrap();
    let (code, _, stderr) = conform(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("typo.yaml:8:15: sqs has no action `SendMesage`"), "{stderr}");
    assert!(stderr.contains("did you mean `SendMessage`?"), "{stderr}");
    assert!(stderr.contains("typo.yaml:11:23: undefined variable `q.uri`"), "{stderr}");
    assert!(stderr.contains("did you mean `q.url`?"), "{stderr}");
}

#[test]
fn the_suite_is_valid_and_listed() {
    let (code, stdout, stderr) = conform(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("specs are valid"));
    let (code, stdout, _) = conform(&["list", "--tag", "core", "--filter", "sqs/"]);
    assert_eq!(code, 0);
    assert!(stdout.lines().all(|l| l.starts_with("sqs/")), "{stdout}");
}

#[test]
fn bad_flags_are_bad_input() {
    let (code, _, stderr) = conform(&["run", "--endpoint", "sns=http://localhost:1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown service `sns`"), "{stderr}");
}
