//! An emulator process the harness started: on a free loopback port, in its own process group
//! (so a Ctrl-C at the terminal reaches the harness, which tears down first), stopped on drop.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::process::{Child, Command};

use super::TargetError;

pub struct ManagedProcess {
    pub what: String,
    pub port: u16,
    child: Handle,
    pub log: PathBuf,
    /// The note that lets a later run stop this emulator if this one dies without doing so.
    note: Option<PathBuf>,
}

/// What runs behind the port: a child process, or a container (LocalStack through testcontainers).
enum Handle {
    Child(Child),
    /// The host the container's port is published on, and what stops it. Dropping the closure
    /// drops the container, which testcontainers removes too.
    Container { host: String, stop: Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync> },
}

/// A call per service that any working endpoint answers with 200: the readiness probe.
const PROBES: [(&str, &str); 4] =
    [("sqs", "ListQueues"), ("kinesis", "ListStreams"), ("dynamodb", "ListTables"), ("dynamodbstreams", "ListStreams")];

/// Every process descended from `root`, from the parent links in `/proc`.
fn descendants(root: nix::unistd::Pid) -> Vec<nix::unistd::Pid> {
    let parents: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last `)`.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root.as_raw()];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.into_iter().skip(1).map(nix::unistd::Pid::from_raw).collect()
}

/// A port nothing listens on right now. Another process could take it before the emulator binds
/// it; the readiness check then fails loudly rather than talking to the wrong server.
/// The kernel sends PR_SET_PDEATHSIG when the *thread* that forked the child ends, not the
/// process: a test harness's worker thread or a runtime's blocking thread can end long before the
/// run does (cargo test's spec trials lost moto mid-run that way). So every emulator is forked by
/// one thread that lives as long as the process.
fn spawn_from_lasting_thread(command: Command) -> std::io::Result<Child> {
    type Job = (Command, tokio::runtime::Handle, std::sync::mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> = std::sync::OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("conform-spawner".into())
            .spawn(move || {
                for (mut command, runtime, reply) in queue {
                    // The child is reaped by the caller's runtime.
                    let _context = runtime.enter();
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("a thread can be started");
        std::sync::Mutex::new(jobs)
    });
    let (reply, answer) = std::sync::mpsc::channel();
    spawner.lock().expect("spawner lock").send((command, tokio::runtime::Handle::current(), reply)).expect("the spawner thread never ends");
    answer.recv().expect("the spawner thread answers every job")
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

impl ManagedProcess {
    /// Starts `command` (program, arguments, environment and working directory already set) with
    /// its output going to `log`.
    /// `marker`: a string on the command line of every process of the emulator's tree (its state
    /// directory), for stopping strays after a crash; see `orphans`.
    pub fn spawn(what: &str, mut command: Command, port: u16, log: PathBuf, marker: Option<String>) -> Result<Self, TargetError> {
        super::orphans::sweep();
        let fail = |why: String| TargetError::Start { what: what.to_owned(), why };
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        }
        let out = std::fs::File::create(&log).map_err(|e| fail(format!("cannot create {}: {e}", log.display())))?;
        let err = out.try_clone().map_err(|e| fail(e.to_string()))?;
        let program = command.as_std().get_program().to_string_lossy().into_owned();
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: between fork and exec only prctl(2) runs, which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Some(nix::sys::signal::Signal::SIGKILL)).map_err(std::io::Error::from)
            });
        }
        let child = spawn_from_lasting_thread(command).map_err(|e| fail(format!("cannot run {program}: {e}")))?;
        let note = child.id().and_then(|pid| super::orphans::note(pid, marker));
        Ok(Self { what: what.to_owned(), port, child: Handle::Child(child), log, note })
    }

    /// A container already started and answering on `host:port`; `stop` removes it.
    pub fn container(
        what: &str,
        host: String,
        port: u16,
        stop: Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>,
    ) -> Self {
        Self { what: what.to_owned(), port, child: Handle::Container { host, stop }, log: PathBuf::new(), note: None }
    }

    pub fn url(&self) -> String {
        match &self.child {
            Handle::Child(_) => format!("http://127.0.0.1:{}", self.port),
            Handle::Container { host, .. } => format!("http://{host}:{}", self.port),
        }
    }

    /// Waits until the port answers HTTP (and the log has `ready_line`, if given), or the process
    /// exits, or `timeout` passes.
    pub async fn wait_ready(&mut self, timeout: Duration, ready_line: Option<&str>) -> Result<(), TargetError> {
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            if let Handle::Child(child) = &mut self.child {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(self.failure(format!("exited with {status} before answering")));
                }
            }
            let logged = ready_line.is_none_or(|line| std::fs::read_to_string(&self.log).is_ok_and(|log| log.lines().any(|l| l.trim() == line)));
            if logged && client.get(self.url()).timeout(Duration::from_secs(1)).send().await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(self.failure(format!("no answer on port {} within {timeout:?}", self.port)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until each routed service answers its probe: an emulator may accept connections (or log
    /// that it is ready) before a service behind it is up, as LocalStack does while its Kinesis
    /// engine starts. Specs would then see faults, not behaviour.
    pub async fn wait_serving(&mut self, routed: &[&'static str], region: &str) -> Result<(), TargetError> {
        let client = crate::wire::WireClient::default();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        for (service, action) in PROBES.iter().filter(|(s, _)| routed.contains(s)) {
            let service = crate::services::by_name(service).expect("probes name known services");
            let endpoint = crate::wire::ServiceEndpoint::local(self.url(), region);
            loop {
                let answer = client.call(service, &endpoint, action, &serde_json::json!({})).await;
                if answer.as_ref().is_ok_and(|r| r.status == 200) {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    let why = match answer {
                        Ok(r) => format!("HTTP {}", r.status),
                        Err(e) => e.to_string(),
                    };
                    return Err(self.failure(format!("{}.{action} did not answer 200 within 60s ({why})", service.name)));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    }

    /// A start failure, with the tail of the emulator's log.
    pub fn failure(&self, why: String) -> TargetError {
        let tail = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(5).collect();
        let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n  ");
        TargetError::Start { what: self.what.clone(), why: format!("{why}; log {}:\n  {tail}", self.log.display()) }
    }

    /// Stops the process and waits for it to exit.
    pub async fn stop(self) {
        if let Some(note) = &self.note {
            let _ = std::fs::remove_file(note);
        }
        match self.child {
            Handle::Child(mut child) => {
                // An emulator's own children must not outlive it, even those in a session of
                // their own (LocalStack starts its Node.js Kinesis so). SIGTERM lets the tree shut
                // down in order; whatever is left after a grace period gets SIGKILL.
                use nix::sys::signal::{kill, killpg, Signal};
                let Some(pid) = child.id().map(|pid| nix::unistd::Pid::from_raw(pid as i32)) else { return };
                let tree = descendants(pid);
                let _ = killpg(pid, Signal::SIGTERM);
                if tokio::time::timeout(Duration::from_secs(8), child.wait()).await.is_err() {
                    let _ = child.start_kill();
                }
                let _ = killpg(pid, Signal::SIGKILL);
                for p in tree {
                    let _ = kill(p, Signal::SIGKILL);
                }
                let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            }
            Handle::Container { stop, .. } => stop().await,
        }
    }
}
