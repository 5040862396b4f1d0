//! `ghl bench`: measures what `wrk` cannot — how fast an answer reaches a waiting agent, what
//! holding many waiting agents costs the hub, and how long the web inbox's pages take with many
//! requests in the store, and what one tenant's task uploads cost another's creates. (Creates/s and status checks/s are measured with `wrk`: see
//! `scripts/bench.sh`.)

mod inbox;
mod provider;
mod raw;
mod sync;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use self::raw::RawClient;
use crate::client::HubArgs;

/// Arguments of `ghl bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    hub: HubArgs,
    /// How many answer → waiter round trips to time.
    #[arg(long, default_value_t = 1_000)]
    samples: u32,
    /// Send those answers to this hub instead: another node on the same database, to time an
    /// answer on one node → the agent waiting on another.
    #[arg(long, value_name = "URL")]
    answer_hub: Option<String>,
    /// How many agents wait at once in the second part (0: skip it).
    #[arg(long, default_value_t = 10_000)]
    waiters: u32,
    /// The hub's process id, to report its memory while the waiters wait.
    #[arg(long)]
    hub_pid: Option<u32>,
    /// How many answer → `ApiProvider` round trips to time (0: skip).
    #[arg(long, default_value_t = 0)]
    provider_samples: u32,
    #[command(flatten)]
    inbox: inbox::InboxArgs,
    #[command(flatten)]
    sync: sync::SyncArgs,
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    crate::raise_open_files_limit();
    let client = Arc::new(RawClient::new(&args.hub)?);
    let run = uuid::Uuid::new_v4().simple().to_string();
    if args.samples > 0 {
        let answerer = match &args.answer_hub {
            Some(hub) => Arc::new(RawClient::new(&HubArgs {
                hub: Some(hub.clone()),
                key: args.hub.key.clone(),
            })?),
            None => client.clone(),
        };
        latency(&client, &answerer, &run, args.samples).await?;
    }
    if args.provider_samples > 0 {
        let key = args.hub.key.clone().unwrap_or_default();
        provider::run(&client, &key, args.provider_samples).await?;
    }
    if args.waiters > 0 {
        waiters(&client, &run, args.waiters, args.hub_pid).await?;
    }
    if args.inbox.inbox_requests > 0 {
        inbox::run(&client, &run, &args.inbox).await?;
    }
    sync::run(&client, &args.hub, &run, &args.sync).await?;
    Ok(())
}

async fn create(client: &RawClient, conversation: &str, request: &str) -> anyhow::Result<()> {
    create_as(client, conversation, request, "approval", "bench").await
}

/// Creates a request of a type in a task.
async fn create_as(
    client: &RawClient,
    conversation: &str,
    request: &str,
    loop_type: &str,
    task: &str,
) -> anyhow::Result<()> {
    let body = json!({
        "task_id": task, "conversation_id": conversation, "request_id": request,
        "loop_type": loop_type, "context": {"message": "benchmark", "question": "May I?"},
        "platform": "bench", "metadata": {}
    });
    let reply = client
        .call(Method::POST, "/api/v1/humanloop/request", &[], Some(&body))
        .await?;
    if !reply.succeeded() {
        bail!("create refused: {}", reply.error());
    }
    Ok(())
}

async fn approve(client: &RawClient, request: &str) -> anyhow::Result<()> {
    let path = format!("/api/v1/requests/{request}/approve");
    let reply = client
        .call(Method::POST, &path, &[], Some(&json!({})))
        .await?;
    if !reply.succeeded() {
        bail!("approve refused: {}", reply.error());
    }
    Ok(())
}

async fn wait(client: &RawClient, conversation: &str, request: &str) -> anyhow::Result<Value> {
    let query = [
        ("conversation_id", conversation.to_owned()),
        ("request_id", request.to_owned()),
        ("platform", "bench".to_owned()),
        ("wait", "120".to_owned()),
    ];
    let reply = client
        .call(Method::GET, "/api/v1/humanloop/status", &query, None)
        .await?;
    Ok(reply.body)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

/// Answer sent (to `answerer`) → the waiting long-poll returns, one request at a time.
async fn latency(
    client: &Arc<RawClient>,
    answerer: &RawClient,
    run: &str,
    samples: u32,
) -> anyhow::Result<()> {
    let conversation = format!("latency-{run}");
    let mut times = Vec::with_capacity(samples as usize);
    for i in 0..samples {
        let request = format!("{run}-l{i}");
        create(client, &conversation, &request).await?;
        let waiter = {
            let (client, conversation, request) =
                (client.clone(), conversation.clone(), request.clone());
            tokio::spawn(async move {
                let reply = wait(&client, &conversation, &request).await;
                (reply, Instant::now())
            })
        };
        // Let the long-poll reach the hub before the answer is sent.
        tokio::time::sleep(Duration::from_millis(3)).await;
        let sent = Instant::now();
        approve(answerer, &request).await?;
        let (reply, woke) = waiter.await.context("waiter task")?;
        let status = reply?["status"].clone();
        if status != "approved" {
            bail!("waiter {request} saw {status}");
        }
        times.push(woke.saturating_duration_since(sent));
    }
    times.sort();
    let across = if std::ptr::eq(answerer, client.as_ref()) {
        ""
    } else {
        " (answered on another node)"
    };
    println!(
        "answer -> waiting agent{across}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
        times.len()
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Many agents waiting at once, each on its own request over its own connection.
async fn waiters(
    client: &Arc<RawClient>,
    run: &str,
    count: u32,
    hub_pid: Option<u32>,
) -> anyhow::Result<()> {
    let conversation = format!("waiters-{run}");
    let requests: Vec<String> = (0..count).map(|i| format!("{run}-w{i}")).collect();
    for_each(client, &requests, 64, {
        let conversation = conversation.clone();
        move |client, request| {
            let conversation = conversation.clone();
            async move { create(&client, &conversation, &request).await }
        }
    })
    .await?;
    let rss_before = hub_pid.and_then(rss_mib);
    let mut waiting = JoinSet::new();
    for request in &requests {
        let (client, conversation, request) =
            (client.clone(), conversation.clone(), request.clone());
        waiting.spawn(async move { wait(&client, &conversation, &request).await });
    }
    // Every long-poll must be parked at the hub before memory is read.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_waiting = hub_pid.and_then(rss_mib);
    let started = Instant::now();
    for_each(client, &requests, 64, |client, request| async move {
        approve(&client, &request).await
    })
    .await?;
    let mut woken = 0;
    while let Some(joined) = waiting.join_next().await {
        if joined.context("waiter task")??["status"] == "approved" {
            woken += 1;
        }
    }
    let took = started.elapsed();
    println!("waiters: {count} held at once, {woken} woken by their answers; all answered and woken in {:.0} ms", ms(took));
    match (rss_before, rss_waiting) {
        (Some(before), Some(during)) => println!(
            "hub memory (RSS): {before:.0} MiB before, {during:.0} MiB with {count} agents waiting"
        ),
        _ => println!("hub memory: pass --hub-pid PID to read it"),
    }
    if woken != count {
        bail!("{} waiters did not see their answer", count - woken);
    }
    Ok(())
}

/// Runs `f` for every item with at most `width` at a time.
async fn for_each<F, Fut>(
    client: &Arc<RawClient>,
    items: &[String],
    width: usize,
    f: F,
) -> anyhow::Result<()>
where
    F: Fn(Arc<RawClient>, String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut running = JoinSet::new();
    for item in items {
        if running.len() >= width {
            if let Some(done) = running.join_next().await {
                done.context("bench task")??;
            }
        }
        running.spawn(f(client.clone(), item.clone()));
    }
    while let Some(done) = running.join_next().await {
        done.context("bench task")??;
    }
    Ok(())
}

/// A process's resident memory in MiB, from `/proc`.
fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}
