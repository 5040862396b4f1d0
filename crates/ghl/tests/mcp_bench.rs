//! The MCP gateway's benchmark (not a test: `#[ignore]`, no timed assertion), on a release
//! build over stdio: the overhead of a pass-through call (the reference filesystem server called
//! straight and through `ghl mcp gateway`, p50/p99), and the time from a decision in the hub to
//! the gated call starting upstream (p50/p99; the upstream, tests/mcp/flaky_server.py, notes
//! when its `stamp` tool runs).
//! Run: `cargo test --release -p ghl --test mcp_bench -- --ignored --nocapture`
//! (`scripts/bench.sh` does, with GHL_BENCH_MCP=1).

mod common;
mod mcp;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{HubProcess, GHL};
use mcp::{approve, pending_request, Client, User};
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, Service, ServiceExt};

const CALLS: usize = 2_000;
const DECISIONS: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn timed<S: Service<RoleClient>>(session: &RunningService<RoleClient, S>) -> Vec<Duration> {
    let mut took = Vec::with_capacity(CALLS);
    for n in 0..CALLS + 100 {
        let started = Instant::now();
        let call = CallToolRequestParams::new("list_allowed_directories");
        let result = session.call_tool(call).await.expect("a result");
        assert_ne!(result.is_error, Some(true));
        // The first 100 warm up.
        if n >= 100 {
            took.push(started.elapsed());
        }
    }
    took.sort();
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture on a release build"]
async fn gateway_pass_through_overhead_and_decision_to_upstream_latency() {
    let server = std::env::var("GHL_TEST_MCP_FILESYSTEM").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/mcp-npm/node_modules/.bin/mcp-server-filesystem"
        )
        .into()
    });
    let python = common::python().expect("the test venv's Python with the mcp SDK");
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let root = tempfile::tempdir().unwrap();
    let root = root.path().to_str().unwrap().to_owned();

    let mut straight = tokio::process::Command::new(&server);
    straight.arg(&root).stderr(std::process::Stdio::null());
    let direct = ().serve(TokioChildProcess::new(straight).unwrap()).await.unwrap();
    let mut gated = tokio::process::Command::new(GHL);
    gated.args([
        "mcp", "gateway", "--hub", &hub.base, "--key", &key, "--", &server, &root,
    ]);
    gated.stderr(std::process::Stdio::null());
    let through = Client::new(User::Absent)
        .serve(TokioChildProcess::new(gated).unwrap())
        .await
        .unwrap();
    let plain = timed(&direct).await;
    let proxied = timed(&through).await;
    println!(
        "pass-through call, {CALLS} sequential (list_allowed_directories): direct p50 {:?} p99 {:?}; \
         through the gateway p50 {:?} p99 {:?}; overhead p50 {:?} p99 {:?}",
        percentile(&plain, 0.5),
        percentile(&plain, 0.99),
        percentile(&proxied, 0.5),
        percentile(&proxied, 0.99),
        percentile(&proxied, 0.5).saturating_sub(percentile(&plain, 0.5)),
        percentile(&proxied, 0.99).saturating_sub(percentile(&plain, 0.99)),
    );
    direct.cancel().await.unwrap();
    through.cancel().await.unwrap();

    let stamps = tempfile::NamedTempFile::new().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/flaky_server.py");
    let mut command = tokio::process::Command::new(GHL);
    command
        .args([
            "mcp",
            "gateway",
            "--hub",
            &hub.base,
            "--key",
            &key,
            "--approve",
            "stamp",
            "--wait",
            "60",
        ])
        .args(["--", &python, script])
        .env("FLAKY_STAMPS", stamps.path())
        .stderr(std::process::Stdio::null());
    let session = std::sync::Arc::new(
        Client::new(User::Absent)
            .serve(TokioChildProcess::new(command).unwrap())
            .await
            .unwrap(),
    );
    let mut latencies = Vec::with_capacity(DECISIONS);
    for _ in 0..DECISIONS {
        let caller = session.clone();
        let call = tokio::spawn(async move {
            caller
                .call_tool(CallToolRequestParams::new("stamp"))
                .await
                .expect("a result")
        });
        let request = pending_request(&hub.base, &key).await;
        let decided_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        approve(&hub.base, &key, request["id"].as_str().unwrap(), None).await;
        let result = call.await.unwrap();
        let ran: u128 = mcp::text(&result).trim().parse().expect("the stamp");
        latencies.push(Duration::from_nanos((ran - decided_at.as_nanos()) as u64));
    }
    latencies.sort();
    println!(
        "decision in the hub → gated call starting upstream, {DECISIONS} decisions: p50 {:?} p99 {:?} max {:?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
}
