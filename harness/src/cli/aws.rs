//! The guard in front of real AWS: who am I (STS), is that account allowed, what will this cost,
//! and does the user agree. Nothing is created before it says yes.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use crate::spec::{Action, ResourceKind, Spec};
use crate::targets::aws;

/// Flags of the AWS guard, shared by `run` and `sweep`.
#[derive(Args, Clone, Default)]
pub struct GuardArgs {
    /// AWS account id conform may use (repeatable; also CONFORM_AWS_ACCOUNTS, comma-separated).
    /// Any other account is refused.
    #[arg(long = "allow-account", value_name = "ID")]
    pub allow_accounts: Vec<String>,
    /// Don't ask for confirmation before creating or deleting AWS resources.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// STS endpoint for the account check (tests point it at a fake).
    #[arg(long, hide = true)]
    pub sts_endpoint: Option<String>,
}

/// Why the guard stopped the run (exit 3).
#[derive(Debug)]
pub struct Refused(pub String);

/// What a run will create on a target, roughly, before it creates anything.
#[derive(Debug, Default, PartialEq)]
pub struct Preview {
    pub specs: usize,
    pub queues: usize,
    pub streams: usize,
    pub shards: u64,
    pub tables: usize,
    /// API calls: setup and teardown of every resource plus every step once per repeat (an
    /// `eventually` step may poll more often, so this is a lower bound).
    pub calls: u64,
}

impl Preview {
    pub fn of(specs: &[Spec]) -> Self {
        let mut p = Preview { specs: specs.len(), ..Default::default() };
        for spec in specs {
            for resource in &spec.resources {
                match &resource.kind {
                    ResourceKind::Queue(_) => {
                        p.queues += 1;
                        p.calls += 3; // CreateQueue, GetQueueAttributes, DeleteQueue
                    }
                    ResourceKind::Stream(s) => {
                        p.streams += 1;
                        p.shards += u64::from(s.shards);
                        p.calls += 3; // CreateStream, DescribeStreamSummary (polled), DeleteStream
                    }
                    ResourceKind::Table(t) => {
                        p.tables += 1;
                        p.calls += 3 + u64::from(t.ttl.is_some()); // Create, Describe (polled), Delete, TTL
                    }
                }
            }
            for step in &spec.steps {
                let once = match &step.action {
                    Action::Call(_) => 1,
                    Action::Sleep(_) => 0,
                    // Each message sent once and received (and deleted) about once.
                    Action::Workload(w) => 3 * u64::from(w.messages),
                };
                p.calls += once * u64::from(step.repeat.max(1));
            }
        }
        p
    }

    pub fn render(&self, account: &str, region: &str) -> String {
        format!(
            "about to run {} spec(s) in AWS account {account} ({region}), creating and deleting:\n  \
             {} SQS queue(s)\n  {} Kinesis stream(s) with {} shard(s) in all\n  {} DynamoDB table(s) (on-demand)\n  \
             roughly {}+ API calls; every resource is tagged conform:run and named conform-…",
            self.specs, self.queues, self.streams, self.shards, self.tables, self.calls
        )
    }
}

/// Checks the account behind the credentials against the allowlist. Returns the account id.
pub async fn check_account(config: &aws_config::SdkConfig, guard: &GuardArgs) -> Result<String, Refused> {
    let env = std::env::var(aws::ACCOUNTS_VAR).ok();
    let allowed = aws::allowed_accounts(&guard.allow_accounts, env.as_deref());
    let account = aws::caller_account(config, guard.sts_endpoint.as_deref()).await.map_err(Refused)?;
    aws::check_account(&account, &allowed).map_err(Refused)?;
    Ok(account)
}

/// Asks for a yes on a terminal; without one (CI, a pipe) only `--yes` lets the run go on.
pub fn confirm(question: &str, guard: &GuardArgs) -> Result<(), Refused> {
    if guard.yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Refused("refusing to touch AWS without confirmation: not on a terminal, pass --yes".into()));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(|e| Refused(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Refused("not confirmed: nothing was created".into()))
    }
}

/// The whole guard for `conform run --target aws`: account, preview, confirmation.
pub async fn guard_run(region: &str, specs: &[Spec], guard: &GuardArgs) -> Result<(), Refused> {
    let config = aws::sdk_config(region).await;
    let account = check_account(&config, guard).await?;
    eprintln!("{}", Preview::of(specs).render(&account, region));
    confirm("proceed?", guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
id: t/preview
title: t
source: https://docs.aws.amazon.com/
tags: [core]
resources:
  q: { sqs.queue: {} }
  d: { sqs.queue: { fifo: true } }
  s: { kinesis.stream: { shards: 3 } }
  t: { dynamodb.table: { key: { pk: S }, ttl: exp } }
steps:
  - call: sqs.SendMessage
    with: { QueueUrl: "${q.url}", MessageBody: x }
    repeat: 5
  - sleep: 1s
  - call: sqs.ReceiveMessage
    with: { QueueUrl: "${q.url}" }
"#;

    #[test]
    fn preview_counts_resources_shards_and_calls() {
        let spec = crate::spec::load_one("t.yaml", SPEC).unwrap_or_else(|e| panic!("{e:?}"));
        let second = crate::spec::load_one("t.yaml", SPEC).unwrap();
        let p = Preview::of(&[spec, second]);
        assert_eq!(p, Preview { specs: 2, queues: 4, streams: 2, shards: 6, tables: 2, calls: 2 * (3 + 3 + 3 + 4 + 5 + 1) });
        let text = p.render("111122223333", "eu-west-1");
        assert!(text.contains("account 111122223333"), "{text}");
        assert!(text.contains("2 Kinesis stream(s) with 6 shard(s)"), "{text}");
    }

    #[test]
    fn target_aws_is_chosen_by_name() {
        use crate::targets::TargetChoice;
        let args = |endpoints: Vec<String>| super::super::TargetArgs {
            target: Some("aws".into()),
            endpoints,
            name: None,
            region: "eu-west-1".into(),
            config: "no-such-conform.toml".into(),
        };
        assert_eq!(args(vec![]).choice(), Ok(TargetChoice::Aws));
        assert_eq!(TargetChoice::Aws.name(), "aws");
        assert!(args(vec!["http://x:1".into()]).choice().is_err());
    }

    #[test]
    fn no_terminal_and_no_yes_is_refused() {
        let guard = GuardArgs { yes: true, ..Default::default() };
        assert!(confirm("?", &guard).is_ok());
        if !std::io::stdin().is_terminal() {
            assert!(confirm("?", &GuardArgs::default()).unwrap_err().0.contains("--yes"));
        }
    }
}
