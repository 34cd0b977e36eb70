//! A loopback HTTP/1.1 proxy between conform and a real emulator that, on a seeded share of
//! requests, behaves like a flaky network: it resets the connection, answers 500/503, never
//! answers, cuts the body short or answers 200 with garbage. Each fault happens either before the
//! request is forwarded (the emulator never sees it) or after (the emulator acted, the answer is
//! lost), and every injection is counted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// The connection is reset (TCP RST) instead of answered.
    Reset,
    /// HTTP 500 `InternalFailure` or 503 `ServiceUnavailable`, with an AWS-shaped JSON body.
    ServerError,
    /// No answer at all: the client gives up on its own timeout.
    Stall,
    /// The full length announced, half the body sent, then the connection closed.
    HalfBody,
    /// HTTP 200 with a body that is not JSON.
    Garbage,
}

impl Fault {
    pub const ALL: [Fault; 5] = [Fault::Reset, Fault::ServerError, Fault::Stall, Fault::HalfBody, Fault::Garbage];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Reset => "reset",
            Fault::ServerError => "5xx",
            Fault::Stall => "stall",
            Fault::HalfBody => "half-body",
            Fault::Garbage => "garbage",
        }
    }

    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Whether the emulator saw the request before the fault hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Before,
    After,
}

/// What to inject: each request draws once; with probability `rate` it gets one of `faults`
/// (uniformly), before or after forwarding (evenly).
#[derive(Debug, Clone)]
pub struct Plan {
    pub faults: Vec<Fault>,
    pub rate: f64,
    pub seed: u64,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    pub url: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    upstream: String,
    plan: Plan,
    rng: Mutex<StdRng>,
    http: reqwest::Client,
    injected: Mutex<BTreeMap<(Fault, Phase), u64>>,
    requests: Mutex<u64>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str, plan: Plan) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            rng: Mutex::new(StdRng::seed_from_u64(plan.seed)),
            plan,
            http: reqwest::Client::new(),
            injected: Mutex::default(),
            requests: Mutex::default(),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Ok(FaultProxy { url, state, task })
    }

    /// How many of each fault, in each phase, were injected so far.
    pub fn injected(&self) -> BTreeMap<(Fault, Phase), u64> {
        self.state.injected.lock().expect("counts").clone()
    }

    pub fn total_injected(&self) -> u64 {
        self.injected().values().sum()
    }

    /// Every request the proxy received, faulted or not.
    pub fn requests(&self) -> u64 {
        *self.state.requests.lock().expect("counts")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One parsed request: what is needed to forward it.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One answer to send back.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves one client connection, request after request (keep-alive), until it closes or a fault
/// ends it.
async fn serve(stream: TcpStream, state: Arc<State>) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader).await {
        *state.requests.lock().expect("counts") += 1;
        let fault = state.draw();
        if let Some(fault) = fault {
            *state.injected.lock().expect("counts").entry(fault).or_default() += 1;
        }
        let answer = match fault {
            Some((fault, Phase::Before)) => fabricated(fault),
            _ => match forward(&state, request).await {
                Some(answer) => answer,
                None => return,
            },
        };
        let stream = reader.get_mut();
        let open = match fault.map(|(f, _)| f) {
            None => write_answer(stream, &answer, None).await,
            Some(Fault::Reset) => {
                // SO_LINGER 0 makes close send RST instead of FIN; nothing blocks, the socket is non-blocking.
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(std::time::Duration::ZERO));
                false
            }
            Some(Fault::ServerError) => write_answer(stream, &server_error(&state), None).await,
            Some(Fault::Stall) => {
                // Hold the connection, answering nothing, until the client gives up and closes it.
                let mut sink = [0u8; 1024];
                while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
                false
            }
            Some(Fault::HalfBody) => {
                let announced = answer.body.len().max(1);
                let cut = Answer { body: answer.body[..answer.body.len() / 2].to_vec(), ..answer };
                let _ = write_answer(stream, &cut, Some(announced)).await;
                false
            }
            Some(Fault::Garbage) => write_answer(stream, &garbage(), None).await,
        };
        if !open {
            return;
        }
    }
}

impl State {
    /// Whether (and how) to fault the next request.
    fn draw(&self) -> Option<(Fault, Phase)> {
        let mut rng = self.rng.lock().expect("rng");
        if self.plan.faults.is_empty() || !rng.random_bool(self.plan.rate.clamp(0.0, 1.0)) {
            return None;
        }
        let fault = self.plan.faults[rng.random_range(0..self.plan.faults.len())];
        let phase = if rng.random_bool(0.5) { Phase::Before } else { Phase::After };
        Some((fault, phase))
    }
}

/// Reads one HTTP/1.1 request with a `content-length` body (what conform's client sends).
async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let Some((name, value)) = line.trim_end().split_once(':') else { break };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Request { method, path, headers, body })
}

/// Sends the request on to the emulator and reads its whole answer; None if it gave none.
async fn forward(state: &State, request: Request) -> Option<Answer> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).ok()?;
    let mut builder = state.http.request(method, format!("{}{}", state.upstream, request.path));
    for (name, value) in &request.headers {
        if !["content-length", "connection", "transfer-encoding"].contains(&name.as_str()) {
            builder = builder.header(name, value);
        }
    }
    let response = builder.body(request.body).send().await.ok()?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(n, _)| !["content-length", "connection", "transfer-encoding", "keep-alive"].contains(&n.as_str()))
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = response.bytes().await.ok()?.to_vec();
    Some(Answer { status, headers, body })
}

/// What a fault injected before forwarding starts from: a plausible success the emulator never gave.
fn fabricated(fault: Fault) -> Answer {
    let body = match fault {
        Fault::HalfBody => br#"{"ResponseMetadata": {"RequestId": "00000000-fault-proxy-0000-000000000000"}}"#.to_vec(),
        _ => Vec::new(),
    };
    Answer { status: 200, headers: vec![("content-type".into(), "application/x-amz-json-1.0".into())], body }
}

/// 500 `InternalFailure` or 503 `ServiceUnavailable`, as AWS's JSON protocols send them.
fn server_error(state: &State) -> Answer {
    let unavailable = state.rng.lock().expect("rng").random_bool(0.5);
    let (status, code) = if unavailable { (503, "ServiceUnavailable") } else { (500, "InternalFailure") };
    let body = format!(r#"{{"__type": "{code}", "message": "injected by the fault proxy"}}"#).into_bytes();
    let headers = vec![
        ("content-type".into(), "application/x-amz-json-1.0".into()),
        ("x-amzn-query-error".into(), format!("{code};Receiver")),
    ];
    Answer { status, headers, body }
}

fn garbage() -> Answer {
    let body = b"<html><body><h1>200 OK</h1>upstream said something this proxy mangled</body></html>".to_vec();
    Answer { status: 200, headers: vec![("content-type".into(), "text/html".into())], body }
}

/// Writes `answer`, announcing `length` bytes of body (else its own length). Returns whether the
/// connection can carry another request.
async fn write_answer(stream: &mut TcpStream, answer: &Answer, length: Option<usize>) -> bool {
    let length = length.unwrap_or(answer.body.len());
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {length}\r\n\r\n"));
    let written = stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(&answer.body).await.is_ok();
    written && stream.flush().await.is_ok() && length == answer.body.len()
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Unknown")
}
