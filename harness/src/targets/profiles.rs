//! What conform knows about each managed emulator: how to start it on a port, which services it
//! answers and what it can really do. Versions and where each comes from are in `install`.

use super::install::{Emulator, DYNALITE, DYNAMODB_LOCAL, DYNOXIDE, FAKECLOUD, KINESALITE, KINESIS_MOCK, LOCALSTACK_HOST, MINISTACK, MOTO};

/// How conform runs one managed emulator.
#[derive(Debug)]
pub struct Profile {
    pub emulator: &'static Emulator,
    /// The services it answers, all on its one port.
    pub services: &'static [&'static str],
    /// What it really does (a subset of `spec::CAPABILITIES`), so that specs needing more are
    /// reported as gaps rather than failures. Claimed only where the emulator implements the
    /// behaviour, not merely accepts the request.
    pub capabilities: &'static [&'static str],
    /// Services it could serve but cannot here, and why: their specs are gaps that say so.
    pub unserved: &'static [(&'static str, &'static str)],
    /// Arguments after the program. `{port}`, `{region}`, `{package}` (the directory holding the
    /// package's `package.json`), `{home}` (the install directory) and `{state}` (a fresh
    /// directory for this start) are substituted here and in `env`.
    pub(super) args: &'static [&'static str],
    pub(super) env: &'static [(&'static str, &'static str)],
    /// Run in the package directory rather than conform's.
    pub(super) cwd_package: bool,
    /// A log line that says the emulator is ready; otherwise any HTTP answer on its port does.
    pub(super) ready_line: Option<&'static str>,
    /// The most specs it serves at once without failing (see `Timing::jobs`).
    pub(super) jobs: Option<usize>,
}

pub const PROFILES: [Profile; 9] = [
    Profile {
        emulator: &MOTO,
        services: &["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"],
        // moto stores TTL settings but never expires items: no `ttl-expiry`.
        capabilities: &["fifo", "redrive", "streams", "ttl", "resharding"],
        args: &["-H", "127.0.0.1", "-p", "{port}"],
        env: &[],
        cwd_package: false,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &KINESALITE,
        services: &["kinesis"],
        // SplitShard and MergeShards are implemented (UpdateShardCount is not).
        capabilities: &["resharding"],
        // Its default shard limit (10) is below AWS's default quota (500 in us-east-1, 200
        // elsewhere) and is hit by specs running concurrently; 500 is AWS's.
        args: &["--port", "{port}", "--shardLimit", "500"],
        env: &[],
        cwd_package: false,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &DYNALITE,
        services: &["dynamodb"],
        // No DynamoDB Streams endpoint (StreamSpecification is ignored), no UpdateTimeToLive
        // (DescribeTimeToLive always answers DISABLED): nothing to claim.
        capabilities: &[],
        args: &["--host", "127.0.0.1", "--port", "{port}"],
        env: &[],
        cwd_package: false,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &KINESIS_MOCK,
        services: &["kinesis"],
        // SplitShard, MergeShards and UpdateShardCount are implemented.
        capabilities: &["resharding"],
        // kinesis-local serves plain HTTP on KINESIS_MOCK_PLAIN_PORT and HTTPS on
        // KINESIS_MOCK_TLS_PORT (0: any free port, unused) with the self-signed certificate in
        // `server.json`, which it reads from the working directory unless KINESIS_MOCK_CERT_PATH
        // says otherwise. It listens on every interface; it has no host setting.
        args: &[],
        env: &[
            ("KINESIS_MOCK_PLAIN_PORT", "{port}"),
            ("KINESIS_MOCK_TLS_PORT", "0"),
            ("KINESIS_MOCK_CERT_PATH", "{package}/server.json"),
            ("AWS_REGION", "{region}"),
            // Default 50; AWS's default quota is 500 (see kinesalite above).
            ("SHARD_LIMIT", "500"),
        ],
        cwd_package: true,
        unserved: &[],
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &LOCALSTACK_HOST,
        services: &["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"],
        // Its DynamoDB is DynamoDB Local (conform's pinned jar, see `localstack_libs`), which keeps
        // TTL settings and expires items only in a background sweep LocalStack leaves off
        // (DYNAMODB_REMOVE_EXPIRED_ITEMS): no `ttl-expiry`.
        capabilities: &["fifo", "redrive", "streams", "ttl", "resharding"],
        unserved: &[],
        args: &["-m", "localstack.runtime.main"],
        // The measured host recipe (environment-notes.md). OVERRIDE_IN_DOCKER=0: a machine with
        // /.dockerenv would otherwise make LocalStack use, and wipe, its container folders.
        // SQS_ENDPOINT_STRATEGY=path: queue URLs on this port rather than an unresolvable host.
        env: &[
            ("GATEWAY_LISTEN", "127.0.0.1:{port}"),
            ("LOCALSTACK_HOST", "127.0.0.1:{port}"),
            ("SERVICES", "sqs,kinesis,sns,events,dynamodb,dynamodbstreams"),
            ("EAGER_SERVICE_LOADING", "1"),
            ("DNS_ADDRESS", "0"),
            ("SKIP_SSL_CERT_DOWNLOAD", "1"),
            ("DISABLE_EVENTS", "1"),
            ("OVERRIDE_IN_DOCKER", "0"),
            ("FILESYSTEM_ROOT", "{state}"),
            ("SQS_ENDPOINT_STRATEGY", "path"),
            ("PERSISTENCE", "0"),
            ("KINESIS_LATENCY", "0"),
            // AWS's default shard quota, as for kinesalite above (LocalStack's default is 100).
            ("KINESIS_SHARD_LIMIT", "500"),
        ],
        cwd_package: false,
        ready_line: Some("Ready."),
        // As for DynamoDB Local alone, which it runs.
        jobs: Some(4),
    },
    Profile {
        emulator: &DYNAMODB_LOCAL,
        services: &["dynamodb", "dynamodbstreams"],
        // Streams and TTL settings answer; expired items are deleted by a background sweep, far
        // beyond a spec's wait (as on LocalStack, which runs this engine): no `ttl-expiry`.
        capabilities: &["streams", "ttl"],
        unserved: &[],
        // In memory, and never phoning home: these machines reach no network.
        args: &["-inMemory", "-disableTelemetry", "-port", "{port}"],
        env: &[],
        cwd_package: false,
        ready_line: None,
        // Creating tables with indexes, 16 at once, it answers InternalFailure now and then.
        jobs: Some(4),
    },
    Profile {
        emulator: &MINISTACK,
        services: &["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"],
        // FIFO queues, redrive to a dead-letter queue after maxReceiveCount, Streams records, TTL
        // settings and resharding (SplitShard, MergeShards, UpdateShardCount) are implemented;
        // expired items are deleted by a sweep once a minute, within a spec's `eventually`
        // window: `ttl-expiry`. (A split or merge drops the closed parent shards, and the sweep
        // writes no stream record: divergences, in reports/expectations/ministack.yaml.)
        capabilities: &["fifo", "redrive", "streams", "ttl", "ttl-expiry", "resharding"],
        unserved: &[],
        args: &[],
        // It binds 0.0.0.0 unless told otherwise; MINISTACK_HOST puts 127.0.0.1 in queue URLs;
        // SERVICES loads only these (it serves 40 more); its pid file goes to TMPDIR.
        env: &[
            ("GATEWAY_PORT", "{port}"),
            ("BIND_HOST", "127.0.0.1"),
            ("MINISTACK_HOST", "127.0.0.1"),
            ("MINISTACK_REGION", "{region}"),
            ("SERVICES", "sqs,kinesis,dynamodb,dynamodbstreams,sns,events"),
            ("TMPDIR", "{state}"),
        ],
        cwd_package: false,
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &DYNOXIDE,
        services: &["dynamodb", "dynamodbstreams"],
        // Streams and TTL settings answer; its server never sweeps expired items (only its MCP
        // tool and library call do): no `ttl-expiry`.
        capabilities: &["streams", "ttl"],
        unserved: &[],
        // In memory (no --db-path); loopback is its default host, said anyway.
        args: &["serve", "--host", "127.0.0.1", "--port", "{port}"],
        env: &[],
        cwd_package: false,
        ready_line: None,
        jobs: None,
    },
    Profile {
        emulator: &FAKECLOUD,
        services: &["sqs", "kinesis", "dynamodb", "dynamodbstreams", "sns", "events"],
        // Opt-in (its build takes over 40 minutes on two cores) and not yet run against the
        // suite: nothing is claimed until a run shows what it implements.
        capabilities: &[],
        unserved: &[],
        args: &["--addr", "127.0.0.1:{port}"],
        env: &[],
        cwd_package: false,
        ready_line: None,
        jobs: None,
    },
];
