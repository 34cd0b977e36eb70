//! `cargo run --release -p conform-bench [-- CALLS]`
//!
//! Prints ratios measured in one run against one moto, never absolute targets:
//! 1. harness overhead per call: the same SendMessage loop through aws-sdk-sqs, through conform's
//!    wire client, and through a whole spec (`repeat`, templating, checks, recording);
//! 2. concurrency: the suite's wall time against its longest spec, and against the sum of all
//!    spec durations (what a serial run would take).

use std::sync::Arc;
use std::time::{Duration, Instant};

use conform::engine::{self, RunOptions};
use conform::services::SQS;
use conform::spec;
use conform::targets::{self, TargetChoice};
use conform::wire::{RawResponse, WireClient, WireResponse};
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() {
    let calls: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    let target = Arc::new(targets::start(&TargetChoice::Moto, targets::DEFAULT_REGION).await.expect("moto starts"));
    let endpoint = target.endpoint("sqs").expect("sqs").clone();

    // 1. Per-call overhead.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint.url)
        .region(aws_config::Region::new(endpoint.region.clone()))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "bench"))
        .load()
        .await;
    let sdk = aws_sdk_sqs::Client::new(&config);
    let wire = WireClient::default();
    let spec_text = format!(
        "id: bench/send\ntitle: t\nsource: https://example.com\nresources:\n  q: {{ sqs.queue: {{}} }}\nsteps:\n  - call: sqs.SendMessage\n    repeat: {calls}\n    with: {{ QueueUrl: \"${{q.url}}\", MessageBody: \"m${{index}}\" }}\n    expect:\n      $.MessageId: {{ type: string }}\n"
    );
    // Every loop gets a fresh queue (moto slows down as a queue fills), and the three loops
    // alternate over several rounds so that warm-up and drift do not favour one of them.
    let (mut sdk_times, mut wire_times, mut spec_times) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let queue = sdk.create_queue().queue_name(format!("bench-sdk-{round}")).send().await.expect("queue").queue_url.expect("url");
        sdk_times.push(
            time(|| async {
                for i in 0..calls {
                    sdk.send_message().queue_url(&queue).message_body(format!("m{i}")).send().await.expect("send");
                }
            })
            .await,
        );
        let queue = sdk.create_queue().queue_name(format!("bench-wire-{round}")).send().await.expect("queue").queue_url.expect("url");
        wire_times.push(
            time(|| async {
                for i in 0..calls {
                    let body = json!({ "QueueUrl": queue, "MessageBody": format!("m{i}") });
                    wire.call(&SQS, &endpoint, "SendMessage", &body).await.expect("send");
                }
            })
            .await,
        );
        let one = spec::load_one("bench.yaml", &spec_text).expect("bench spec");
        spec_times.push(
            time(|| async {
                let summary =
                    engine::run(vec![Arc::new(one)], target.clone(), &RunOptions::new(1), CancellationToken::new(), |_| {}).await;
                assert_eq!(summary.results[0].status, conform::report::Status::Pass);
            })
            .await,
        );
    }
    let (sdk_time, wire_time, spec_time) = (median(sdk_times), median(wire_times), median(spec_times));

    // 2. The suite, concurrently.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").join("specs");
    let specs: Vec<_> = spec::discover(&[root]).iter().filter_map(|f| spec::load_file(f).ok()).flatten().map(Arc::new).collect();
    let count = specs.len();
    // In file order, as runs were before scheduling; then longest first by those durations.
    let (file_order, summary) = suite(specs.clone(), &target, engine::DEFAULT_JOBS).await;
    let mut history = engine::schedule::History::default();
    let mut scheduled = specs;
    for r in &summary.results {
        history.insert(&r.id, r.duration);
    }
    engine::schedule::longest_first(&mut scheduled, &history);
    let (wall, summary) = suite(scheduled.clone(), &target, engine::DEFAULT_JOBS).await;
    let (wall_16, _) = suite(scheduled.clone(), &target, 16).await;
    let (wall_48, _) = suite(scheduled, &target, 48).await;
    let longest = summary.results.iter().map(|r| r.duration).max().unwrap_or_default();
    let serial: Duration = summary.results.iter().map(|r| r.duration).sum();

    // 3. The checks' own cost: every response of that run checked again, one after another, by the
    // model and by the SDK's deserializer (fed the body as JSON again: attempts keep no raw bytes).
    // The engine already ran both on each as it arrived, so the wall includes them; assuming every
    // check sat on the critical path gives an upper bound on what they add.
    let responses: Vec<_> = summary
        .results
        .iter()
        .flat_map(|r| &r.steps)
        .filter_map(|s| s.operation.as_deref().and_then(|o| o.split_once('.')).map(|op| (op, &s.attempts)))
        .flat_map(|(op, attempts)| attempts.iter().map(move |a| (op, a)))
        .collect();
    let started = Instant::now();
    for ((service, action), attempt) in &responses {
        std::hint::black_box(conform::model::check_response(service, action, &attempt.response, attempt.error.as_ref().map(|e| e.code.as_str())));
    }
    let model_time = started.elapsed();
    let replayed: Vec<_> = responses.iter().map(|((service, action), a)| (*service, *action, replayable(a))).collect();
    let started = Instant::now();
    for (service, action, response) in &replayed {
        std::hint::black_box(conform::sdk_parse::check(service, action, response).await);
    }
    let parse_time = started.elapsed();

    println!("calls per loop: {calls}, median of {ROUNDS} alternating rounds");
    println!("wire client / aws-sdk-sqs loop:      {:.2}", ratio(wire_time, sdk_time));
    println!("whole spec (repeat) / aws-sdk loop:  {:.2}", ratio(spec_time, sdk_time));
    println!("suite: {count} specs, {} at once", engine::DEFAULT_JOBS);
    println!("suite wall / longest spec, file order:    {:.2}", ratio(file_order, longest));
    println!("suite wall / longest spec, longest first: {:.2}", ratio(wall, longest));
    println!("sum of spec durations / suite wall:  {:.2}", ratio(serial, wall));
    println!("suite wall, 16 at once / {}: {:.2}; 48 at once / {}: {:.2}", engine::DEFAULT_JOBS, ratio(wall_16, wall), engine::DEFAULT_JOBS, ratio(wall_48, wall));
    let n = responses.len();
    println!("suite wall with / without the model check of its {n} responses: at most {:.4}", ratio(wall, wall - model_time));
    println!("suite wall with / without the SDK parse check of its {n} responses: at most {:.4}", ratio(wall, wall - parse_time));
    println!("both checks: at most {:.4} ({:.0} µs per response for the SDK)", ratio(wall, wall - model_time - parse_time), parse_time.as_secs_f64() * 1e6 / n.max(1) as f64);
    if let Ok(target) = Arc::try_unwrap(target) {
        target.shutdown().await;
    }
}

/// An attempt as the wire client would have handed it over: the body as JSON bytes.
fn replayable(attempt: &conform::report::Attempt) -> WireResponse {
    let body = serde_json::to_vec(&attempt.response).expect("JSON values serialise");
    WireResponse {
        status: attempt.status,
        body: attempt.response.clone(),
        error: attempt.error.clone(),
        request_id: None,
        elapsed: attempt.elapsed,
        raw: RawResponse { headers: vec![("content-type".into(), "application/x-amz-json-1.0".into())], body: body.into() },
    }
}

/// Runs the suite `jobs` at once; its wall time and results.
async fn suite(specs: Vec<Arc<spec::Spec>>, target: &Arc<targets::Target>, jobs: usize) -> (Duration, engine::RunSummary) {
    let started = Instant::now();
    let summary = engine::run(specs, target.clone(), &RunOptions::new(jobs), CancellationToken::new(), |_| {}).await;
    (started.elapsed(), summary)
}

async fn time<F: std::future::Future<Output = ()>>(f: impl FnOnce() -> F) -> Duration {
    let started = Instant::now();
    f().await;
    started.elapsed()
}

const ROUNDS: usize = 3;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
