//! A managed target that cannot start says why at once and exits 3, leaving nothing running:
//! a Java too old or missing, DynamoDB Local's jar or its libraries missing, a fixed port taken.
//! Each is caught before anything is installed or started, so none needs an emulator installed.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// Runs `conform run` on one small spec directory against `target` with `env`; exit code, stderr.
/// Every such failure is found before anything starts, so it must come within seconds.
fn run(target: &str, env: &[(&str, &str)]) -> (i32, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .args(["run", "specs/ttl", "--no-snapshots", "--target", target, "--reports"])
        .arg(reports.path())
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{target} took {:?} to fail: {stderr}", started.elapsed());
    (out.status.code().unwrap_or(-1), stderr)
}

/// Processes whose command line holds `text`.
fn running(text: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(text))
        .collect()
}

/// A program that answers `-version` as a Java 11 would (on stderr, as Java does).
fn old_java(dir: &Path) -> String {
    let path = dir.join("java");
    std::fs::write(&path, "#!/bin/sh\necho 'openjdk version \"11.0.25\" 2024-10-15' >&2\n").unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn a_java_older_than_17_is_named_for_dynamodb_local_and_localstack_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let java = old_java(dir.path());
    for target in ["dynamodb-local", "localstack-host"] {
        let (code, stderr) = run(target, &[("JAVA", &java)]);
        assert_eq!(code, 3, "{target}: {stderr}");
        assert!(stderr.contains("is Java 11; DynamoDB Local needs Java 17 or newer"), "{target}: {stderr}");
    }
    assert!(running(&java).is_empty());
}

#[test]
fn a_java_that_is_not_there_is_named() {
    let (code, stderr) = run("dynamodb-local", &[("JAVA", "/nonexistent/bin/java")]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("cannot run `/nonexistent/bin/java`") && stderr.contains("Java 17 or newer"), "{stderr}");
}

#[test]
fn a_missing_jar_or_its_libraries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("DynamoDBLocal.jar");
    let jar_text = jar.display().to_string();
    let (code, stderr) = run("dynamodb-local", &[("CONFORM_DYNAMODB_LOCAL_SERVER", &jar_text)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&format!("CONFORM_DYNAMODB_LOCAL_SERVER names {jar_text}, which does not exist")), "{stderr}");

    // The jar alone, without DynamoDBLocal_lib beside it (its SQLite library).
    std::fs::write(&jar, b"").unwrap();
    let (code, stderr) = run("dynamodb-local", &[("CONFORM_DYNAMODB_LOCAL_SERVER", &jar_text)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("DynamoDBLocal_lib is missing beside DynamoDB Local's jar"), "{stderr}");
    // LocalStack on the host runs the same jar, and says so before LocalStack starts.
    let (code, stderr) = run("localstack-host", &[("CONFORM_DYNAMODB_LOCAL_SERVER", &jar_text)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("DynamoDBLocal_lib is missing beside DynamoDB Local's jar"), "{stderr}");
    assert!(running(&jar_text).is_empty(), "{:?}", running(&jar_text));
}

#[test]
fn a_fixed_port_in_use_is_named_and_a_bad_one_is_bad_input() {
    let taken = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let fixed = [
        ("dynamodb-local", "CONFORM_DYNAMODB_LOCAL_PORT"),
        ("localstack-host", "CONFORM_LOCALSTACK_HOST_PORT"),
        ("ministack", "CONFORM_MINISTACK_PORT"),
        ("dynoxide", "CONFORM_DYNOXIDE_PORT"),
    ];
    for (target, var) in fixed {
        let (code, stderr) = run(target, &[(var, &port)]);
        assert_eq!(code, 3, "{target}: {stderr}");
        assert!(stderr.contains(&format!("port {port} on 127.0.0.1 ({var}) is in use")), "{target}: {stderr}");
        assert!(running(&format!("-port {port}")).is_empty() && running(&format!("--port {port}")).is_empty());
    }
    let (code, stderr) = run("dynamodb-local", &[("CONFORM_DYNAMODB_LOCAL_PORT", "80000")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("CONFORM_DYNAMODB_LOCAL_PORT=`80000` is not a port number"), "{stderr}");
}
