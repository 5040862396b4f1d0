//! `ghl bench`: measures what `wrk` cannot — how fast an answer reaches a waiting agent, what
//! holding many waiting agents costs the hub, and how long the web inbox's pages take with many
//! requests in the store, and what one tenant's task uploads cost another's creates.
//! (Creates/s and status checks/s are measured with `wrk`: see `scripts/bench.sh`.)
//!
//! The benchmark checks itself: every call must succeed (see [`raw`]: a reply that is not 2xx
//! or says `success:false` fails the run, naming the call and the reply), every waiter must see
//! its answer, an inbox page must say what the hub spent on it (`Server-Timing`), and nothing
//! is timed or read before the hub holds the agents it is about: an answer is sent, and the
//! hub's memory read, only once the hub's `ghl_waiters` gauge (`GET /metrics`) counts every
//! waiting agent as parked.

mod inbox;
mod provider;
mod raw;
mod sync;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use reqwest::Method;
use serde_json::json;
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
    client
        .call(Method::POST, "/api/v1/humanloop/request", &[], Some(&body))
        .await?;
    Ok(())
}

async fn approve(client: &RawClient, request: &str) -> anyhow::Result<()> {
    let path = format!("/api/v1/requests/{request}/approve");
    client
        .call(Method::POST, &path, &[], Some(&json!({})))
        .await?;
    Ok(())
}

/// Long-polls a request's status until it is answered; an error unless the reply says
/// `approved` (the only answer the benchmark gives).
async fn wait(client: &RawClient, conversation: &str, request: &str) -> anyhow::Result<()> {
    let query = [
        ("conversation_id", conversation.to_owned()),
        ("request_id", request.to_owned()),
        ("platform", "bench".to_owned()),
        ("wait", "120".to_owned()),
    ];
    let reply = client
        .call(Method::GET, "/api/v1/humanloop/status", &query, None)
        .await?;
    if reply.body["status"] != "approved" {
        bail!(
            "the agent waiting on request {request} saw {}, not its approval: {}",
            reply.body["status"],
            raw::shown(&reply.body.to_string())
        );
    }
    Ok(())
}

/// What [`until_parked`] saw.
enum Parked {
    /// The hub holds the agents parked.
    All,
    /// A waiter returned before it was counted (the caller reports why).
    WaiterEnded,
}

/// Waits until the hub's `ghl_waiters` gauge reaches `target` (checking every `pace`; none:
/// each check is an HTTP round trip), or a waiter returns early (`ended`); an error naming the
/// count if `limit` passes first (it bounds a hang only: no figure depends on it).
async fn until_parked(
    client: &RawClient,
    target: u64,
    limit: Duration,
    pace: Duration,
    mut ended: impl FnMut() -> bool,
) -> anyhow::Result<Parked> {
    let deadline = Instant::now() + limit;
    loop {
        let parked = client.parked().await?;
        if parked >= target {
            return Ok(Parked::All);
        }
        if ended() {
            return Ok(Parked::WaiterEnded);
        }
        if Instant::now() >= deadline {
            bail!(
                "after {:.0} s the hub holds {parked} agents parked (its ghl_waiters gauge), \
                 not the {target} the benchmark sent",
                limit.as_secs_f64()
            );
        }
        if pace.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(pace).await;
        }
    }
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
    // Agents already waiting on this node (none in the scripts); each sample's waiter adds one.
    let others = client.parked().await?;
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
        // The answer is sent once the hub holds the long-poll parked, not before.
        let parked = until_parked(client, others + 1, PARK_ONE, Duration::ZERO, || {
            waiter.is_finished()
        })
        .await?;
        if let Parked::WaiterEnded = parked {
            let (reply, _) = waiter.await.context("waiter task")?;
            reply?;
            bail!("the agent waiting on request {request} returned before it was answered");
        }
        let sent = Instant::now();
        approve(answerer, &request).await?;
        let (reply, woke) = waiter.await.context("waiter task")?;
        reply?;
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

/// How long one agent may take to be parked at the hub before the benchmark gives up.
const PARK_ONE: Duration = Duration::from_secs(30);

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
    let rss_before = hub_pid.map(rss_mib).transpose()?;
    let others = client.parked().await?;
    let mut waiting = JoinSet::new();
    let parking = Instant::now();
    for request in &requests {
        let (client, conversation, request) =
            (client.clone(), conversation.clone(), request.clone());
        waiting.spawn(async move {
            let seen = wait(&client, &conversation, &request).await;
            (request, seen)
        });
    }
    // Memory is read, and the answers sent, once the hub holds every long-poll parked.
    let limit = Duration::from_secs(60) + Duration::from_millis(u64::from(count));
    let mut early = None;
    let parked = until_parked(
        client,
        others + u64::from(count),
        limit,
        Duration::from_millis(10),
        || {
            early = waiting.try_join_next();
            early.is_some()
        },
    )
    .await?;
    if let Parked::WaiterEnded = parked {
        let (request, seen) = early.context("a waiter ended")?.context("waiter task")?;
        seen?;
        bail!("the agent waiting on request {request} returned before it was answered");
    }
    let parked_after = parking.elapsed();
    let rss_waiting = hub_pid.map(rss_mib).transpose()?;
    let started = Instant::now();
    for_each(client, &requests, 64, |client, request| async move {
        approve(&client, &request).await
    })
    .await?;
    let mut woken = 0;
    while let Some(joined) = waiting.join_next().await {
        let (_, seen) = joined.context("waiter task")?;
        seen?;
        woken += 1;
    }
    let took = started.elapsed();
    println!(
        "waiters: {count} held at once (all parked at the hub after {:.0} ms), {woken} woken by \
         their answers; all answered and woken in {:.0} ms",
        ms(parked_after),
        ms(took)
    );
    match (rss_before, rss_waiting) {
        (Some(before), Some(during)) => println!(
            "hub memory (RSS): {before:.0} MiB before, {during:.0} MiB with {count} agents waiting"
        ),
        _ => println!("hub memory: pass --hub-pid PID to read it"),
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

/// A process's resident memory in MiB, from `/proc` (an error if it cannot be read: a wrong
/// `--hub-pid`, a hub that died).
fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the hub's memory (--hub-pid {pid}) in {path}"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS line in {path}"))?;
    Ok(kib / 1024.0)
}
