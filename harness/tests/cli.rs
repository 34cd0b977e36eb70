//! The command line as a user meets it: bad specs are reported with file:line:col and exit 2.

use std::process::Command;

fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn conform(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conform")).current_dir(root()).args(args).env("NO_COLOR", "1").output().unwrap();
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
    let (code, _, stderr) = conform(&["run", "--endpoint", "sms=http://localhost:1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown service `sms`"), "{stderr}");
}

#[test]
fn a_target_named_in_the_config_file_runs_under_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conform.toml");
    std::fs::write(&config, "[targets.team-kinesis]\nuse = \"kinesalite\"\ntiming-scale = 2.0\n").unwrap();
    let reports = dir.path().join("reports");
    let (code, _, stderr) = conform(&[
        "run",
        "specs/kinesis/ordering/per-partition-key.yaml",
        "--target",
        "team-kinesis",
        "--config",
        config.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
        "--no-snapshots",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("team-kinesis 3.3.3: 1 specs"), "{stderr}");
    assert!(reports.join("team-kinesis/results.json").exists());

    std::fs::write(&config, "[targets.broken]\nuse = \"kinesalite\"\nendpoint = \"http://x\"\n").unwrap();
    let (code, _, stderr) = conform(&["run", "--target", "broken", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("[targets.broken]: give either `use`"), "{stderr}");
}

#[test]
fn another_moto_first_on_path_is_not_used() {
    // On a machine without the pinned install, a different moto_server first on PATH must not
    // stand in for it: conform installs (and runs) its pinned version instead.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("moto_server");
    std::fs::write(&fake, "#!/bin/sh\nexit 1\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap());
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .env("PATH", path)
        .env("CONFORM_HOME", dir.path().join("empty"))
        .env_remove("CONFORM_MOTO_SERVER")
        .args(["targets", "list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let moto = stdout.lines().find(|l| l.starts_with("moto ")).unwrap_or_default();
    assert!(moto.contains("missing") && !moto.contains(dir.path().to_str().unwrap()), "{stdout}");
}

#[test]
fn check_holds_requests_to_the_aws_model() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("model.yaml");
    std::fs::write(
        &spec,
        "id: x/model\ntitle: t\nsource: https://example.com\nresources:\n  q: { sqs.queue: {} }\nsteps:\n  - call: sqs.SendMessage\n    with: { QueueUrl: \"${q.url}\", MesageBody: x, DelaySeconds: \"5\" }\n  - call: sqs.SendMessage\n    with: { QueueUrl: \"${q.url}\", MessageBody: x, DelaySeconds: \"5\" }\n    expect_error: { status: 400 }\n",
    )
    .unwrap();
    let (code, _, stderr) = conform(&["check", spec.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("model.yaml:8:47: sqs.SendMessage request: `MesageBody` is not a member of SendMessageRequest"), "{stderr}");
    assert!(stderr.contains("did you mean `MessageBody`?"), "{stderr}");
    assert!(stderr.contains("model.yaml:8:64: sqs.SendMessage request: a string where NullableInteger is an integer"), "{stderr}");
    assert!(stderr.contains("model.yaml:8:11: sqs.SendMessage request: required member `MessageBody` of SendMessageRequest is missing"), "{stderr}");
    // The second step expects an error, so it may send what the model forbids.
    assert!(!stderr.contains("model.yaml:10:"), "{stderr}");
}

#[test]
fn the_loader_is_strict_about_what_cannot_be_meant() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs/sqs");
    std::fs::create_dir_all(&specs).unwrap();
    let head = "title: t\nsource: https://example.com\n";
    let poll = "  - call: sqs.ListQueues\n    with: {}\n";
    let cases = [
        ("zero-interval", format!("id: sqs/zero-interval\n{head}steps:\n{poll}    eventually: {{ timeout: 5s, interval: 0s }}\n    expect: {{ $.QueueUrls: {{ exists: true }} }}\n"), "`0s` must be longer than zero"),
        ("zero-timeout", format!("id: sqs/zero-timeout\n{head}timeout: 0s\nsteps:\n  - sleep: 1s\n"), "`0s` must be longer than zero"),
        ("huge", format!("id: sqs/huge\n{head}steps:\n  - sleep: 10000000h\n"), "is longer than any wait a spec may have"),
        ("overflow", format!("id: sqs/overflow\n{head}timeout: 99999999999999999999s\nsteps:\n  - sleep: 1s\n"), "is not a duration"),
        ("length-word", format!("id: sqs/length-word\n{head}steps:\n{poll}    expect: {{ $.QueueUrls: {{ length: abc }} }}\n"), "`length` takes a count"),
        ("numeric-id", format!("id: 12345\n{head}steps:\n  - sleep: 1s\n"), "spec id `12345` is not this file's path under specs/ (`sqs/numeric-id`)"),
        ("forward", format!("id: sqs/forward\n{head}resources:\n  q: {{ sqs.queue: {{ redrive: {{ to: dlq, max_receive_count: 1 }} }} }}\n  dlq: {{ sqs.queue: {{}} }}\nsteps:\n  - sleep: 1s\n"), "`dlq` is not a queue declared above"),
        ("python", format!("id: sqs/python\n{head}steps: !!python/object:os.system [ls]\n"), "python.yaml:4:"),
    ];
    for (name, text, expected) in &cases {
        let path = specs.join(format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        let (code, _, stderr) = conform(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: expected `{expected}` in {stderr}");
    }
    // The same id in two files names both, with the line and column of each.
    let other = dir.path().join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    for f in ["a.yaml", "b.yaml"] {
        std::fs::write(other.join(f), format!("id: sqs/same\n{head}steps:\n  - sleep: 1s\n")).unwrap();
    }
    let (code, _, stderr) = conform(&["check", other.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("b.yaml:1:5: spec id `sqs/same` is already the id of") && stderr.contains("a.yaml:1:5"), "{stderr}");
}

#[test]
fn shards_merge_into_what_one_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let reports = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.join("expectations")).unwrap();
        std::fs::copy(root().join("reports/expectations/kinesalite.yaml"), path.join("expectations/kinesalite.yaml")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let run = |reports: &str, partition: Option<&str>| {
        let mut args = vec!["run", "specs/kinesis/records", "--target", "kinesalite", "--update", "--reports", reports];
        args.extend(partition.map(|p| ["--partition", p]).into_iter().flatten());
        let (code, _, stderr) = conform(&args);
        assert_eq!(code, 0, "{stderr}");
    };
    let (whole, first, second, merged) = (reports("whole"), reports("first"), reports("second"), dir.path().join("merged"));
    run(&whole, None);
    run(&first, Some("1/2"));
    run(&second, Some("2/2"));
    assert!(std::path::Path::new(&first).join("kinesalite/results.1-of-2.json").exists());
    assert!(!std::path::Path::new(&first).join("kinesalite/results.json").exists(), "a shard keeps its rows apart");
    // Merged into reports that hold an older run, as in a checkout: every row is replaced.
    std::fs::create_dir_all(merged.join("kinesalite")).unwrap();
    let old = std::fs::read_to_string(std::path::Path::new(&whole).join("kinesalite/results.json")).unwrap();
    std::fs::write(merged.join("kinesalite/results.json"), old.replace("\"verdict\": \"pass\"", "\"verdict\": \"fail\"")).unwrap();
    let (code, _, stderr) = conform(&["merge", &first, &second, "--into", merged.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");

    let files = |dir: &std::path::Path| {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir.join("kinesalite"))
            .unwrap()
            .map(|e| e.unwrap().path())
            // The merged shards are one whole-suite run, recorded in the history; a subset run is not.
            .filter(|p| !p.ends_with("history.jsonl"))
            .map(|p| {
                // The snapshot header's date is the only thing a rerun may change (past midnight).
                let text = std::fs::read_to_string(&p).unwrap().lines().filter(|l| !l.trim_start().starts_with("date:")).collect();
                (p.file_name().unwrap().to_string_lossy().into_owned(), text)
            })
            .collect();
        files.sort();
        files
    };
    assert!(merged.join("kinesalite/history.jsonl").exists());
    let (one, sharded) = (files(std::path::Path::new(&whole)), files(&merged));
    assert!(one.len() > 5, "{one:?}");
    assert_eq!(one.iter().map(|f| &f.0).collect::<Vec<_>>(), sharded.iter().map(|f| &f.0).collect::<Vec<_>>());
    assert_eq!(one, sharded, "results.json and every snapshot as one run writes them");

    let listed = |extra: &[&str]| {
        let (code, stdout, stderr) = conform(&[&["list", "specs/kinesis"], extra].concat());
        assert_eq!(code, 0, "{stderr}");
        stdout.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let mut shards = [listed(&["--partition", "1/3"]), listed(&["--partition", "2/3"]), listed(&["--partition", "3/3"])].concat();
    shards.sort();
    let mut all = listed(&[]);
    all.sort();
    assert_eq!(shards, all, "each spec in exactly one of three shards");
    let (code, _, stderr) = conform(&["list", "--partition", "4/3"]);
    assert!(code == 2 && stderr.contains("not K/N with 1 ≤ K ≤ N"), "{stderr}");
}
