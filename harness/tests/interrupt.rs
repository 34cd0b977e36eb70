//! Ctrl-C during a run deletes everything the run created: declared resources and resources
//! made by raw Create* steps. Runs the real binary against a moto this test starts, interrupts it
//! with SIGINT once the resources exist, then lists what is left on moto.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use conform::services::{DYNAMODB, KINESIS, SQS};
use conform::targets::{self, TargetChoice};
use conform::wire::WireClient;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_leaves_no_queue_stream_or_table_behind() {
    let target = targets::start(&TargetChoice::Moto, targets::DEFAULT_REGION).await.expect("moto starts");
    let url = target.endpoint("sqs").unwrap().url.clone();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();

    let reports = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .args(["run", "fixtures/interrupt/slow.yaml", "--endpoint", &url, "--name", "interrupt-test", "--no-snapshots"])
        .arg("--reports")
        .arg(reports.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("conform runs");

    let client = WireClient::default();
    let list = |service, action, body: Value, pointer: &'static str| {
        let (client, endpoint) = (client.clone(), target.endpoint("sqs").unwrap().clone());
        async move {
            let response = client.call(service, &endpoint, action, &body).await.expect("moto answers");
            response.body.pointer(pointer).and_then(Value::as_array).map_or(0, Vec::len)
        }
    };
    // Wait until the run has created all four resources (two queues, a stream, a table).
    let started = Instant::now();
    loop {
        let queues = list(&SQS, "ListQueues", json!({ "QueueNamePrefix": "conform-" }), "/QueueUrls").await;
        let tables = list(&DYNAMODB, "ListTables", json!({}), "/TableNames").await;
        if queues == 2 && tables == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the run never created its resources");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(list(&KINESIS, "ListStreams", json!({}), "/StreamNames").await, 1);

    Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    let status = child.wait().expect("conform exits");
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted"), "stderr: {stderr}");

    assert_eq!(list(&SQS, "ListQueues", json!({}), "/QueueUrls").await, 0, "queues left behind; stderr: {stderr}");
    assert_eq!(list(&KINESIS, "ListStreams", json!({}), "/StreamNames").await, 0, "streams left behind");
    assert_eq!(list(&DYNAMODB, "ListTables", json!({}), "/TableNames").await, 0, "tables left behind");
    target.shutdown().await;
}

#[test]
fn a_killed_conform_takes_its_emulator_with_it() {
    // SIGKILL gives conform no chance to stop moto: the kernel must (PR_SET_PDEATHSIG).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let mut conform = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .args(["run", "fixtures/interrupt/slow.yaml", "--no-snapshots"])
        .arg("--reports")
        .arg(reports.path())
        .stderr(Stdio::null())
        .spawn()
        .expect("conform runs");
    let started = Instant::now();
    let moto = loop {
        if let Some(pid) = targets::children(conform.id()).into_iter().next() {
            break pid;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "conform started no emulator");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(1));
    conform.kill().unwrap();
    conform.wait().unwrap();
    let killed = Instant::now();
    while std::path::Path::new(&format!("/proc/{moto}")).exists() && killed.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    // A zombie (reaped by init soon) counts as gone: it runs nothing.
    let state = std::fs::read_to_string(format!("/proc/{moto}/stat")).unwrap_or_default();
    assert!(state.is_empty() || state.contains(") Z "), "moto (pid {moto}) outlived a killed conform: {state}");
}
