//! One tenant's `tasks/sync` uploads against another tenant's creates: how long the uploads
//! take, what they cost the other tenant's create latency, and what re-sending an unchanged
//! snapshot costs. An upload the hub refuses, or that fails, fails the run.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use reqwest::Method;
use serde_json::{json, Value};

use super::raw::{RawClient, Reply};
use super::{create, ms, percentile};
use crate::client::HubArgs;

/// The options of the task-sync part of `ghl bench`.
#[derive(Args)]
pub struct SyncArgs {
    /// A key of another tenant, whose uploads run while the bench key's tenant creates (the
    /// part is skipped without it).
    #[arg(long, env = "GHL_BENCH_SYNC_KEY", hide_env_values = true)]
    sync_key: Option<String>,
    /// How many uploads of one task, one after the other.
    #[arg(long, default_value_t = 4)]
    sync_uploads: u32,
    /// How many new conversations each upload brings (all uploads together must stay within
    /// the hub's limit of conversations per task, 10,000).
    #[arg(long, default_value_t = 2_500)]
    sync_conversations: u32,
}

/// An upload of `count` new conversations, as small as the client may send them (no provider,
/// no requests): 2,500 of them are about 0.1 MB.
fn upload(task: &str, from: u32, count: u32) -> Value {
    let conversations: Vec<Value> = (from..from + count)
        .map(|i| json!({"conversation_id": format!("c{i}"), "requests": []}))
        .collect();
    json!({
        "task_id": task,
        "conversations": conversations,
        "timestamp": "2026-01-01T00:00:00.000000",
        "metadata": {"source": "ghl-bench", "client_ip": "127.0.0.1", "user_agent": "bench"}
    })
}

/// One upload, and how long it took.
async fn sync(uploader: &RawClient, body: &Value) -> (anyhow::Result<Reply>, Duration) {
    let started = Instant::now();
    let reply = uploader
        .call(
            Method::POST,
            "/api/v1/humanloop/tasks/sync",
            &[],
            Some(body),
        )
        .await;
    (reply, started.elapsed())
}

/// Creates in the bench key's tenant, one after the other, until `done` says stop.
async fn creates_until(
    client: &RawClient,
    run: &str,
    label: &str,
    done: impl Fn(usize) -> bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    while !done(times.len()) {
        let request = format!("{run}-{label}{}", times.len());
        let started = Instant::now();
        create(client, &format!("sync-{run}"), &request).await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

fn latencies(times: &[Duration]) -> String {
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} creates)",
        ms(percentile(times, 0.50)),
        ms(percentile(times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
        times.len()
    )
}

/// Runs the part, if a second key is given.
pub async fn run(
    client: &RawClient,
    hub: &HubArgs,
    run: &str,
    args: &SyncArgs,
) -> anyhow::Result<()> {
    let Some(key) = &args.sync_key else {
        return Ok(());
    };
    if args.sync_uploads == 0 {
        return Ok(());
    }
    let uploader = RawClient::new(&HubArgs {
        hub: hub.hub.clone(),
        key: Some(key.clone()),
    })?;
    let alone = creates_until(client, run, "alone", |n| n >= 200).await?;
    println!("creates, nothing else running: {}", latencies(&alone));
    let task = format!("sync-{run}");
    let bodies: Vec<Value> = (0..args.sync_uploads)
        .map(|i| upload(&task, i * args.sync_conversations, args.sync_conversations))
        .collect();
    let size = bodies.first().map(|b| b.to_string().len()).unwrap_or(0);
    let finished = std::sync::atomic::AtomicBool::new(false);
    let uploads = async {
        let mut outcomes = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let (reply, took) = sync(&uploader, body).await;
            match reply {
                Ok(reply) => outcomes.push((reply.status.as_u16(), took)),
                Err(e) => {
                    // Stop: the other tenant's creates stop with it, and the run fails.
                    finished.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Err(e.context(format!(
                        "task upload {} of {} (after {:.0} ms); fewer conversations per upload \
                         (--sync-conversations) keep the task within the hub's limits",
                        i + 1,
                        bodies.len(),
                        ms(took)
                    )));
                }
            }
        }
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(outcomes)
    };
    let creates = creates_until(client, run, "during", |_| {
        finished.load(std::sync::atomic::Ordering::Relaxed)
    });
    let (outcomes, during) = tokio::join!(uploads, creates);
    // An upload the hub refused measured nothing (e.g. one past the limits of a task).
    let outcomes: Vec<String> = outcomes?
        .into_iter()
        .map(|(status, took)| format!("{status} in {:.0} ms", ms(took)))
        .collect();
    println!(
        "task sync: {} uploads of {} new conversations ({:.2} MB each): {}",
        args.sync_uploads,
        args.sync_conversations,
        size as f64 / 1e6,
        outcomes.join(", ")
    );
    println!(
        "another tenant's creates meanwhile: {}",
        latencies(&during?)
    );
    // The last upload again, unchanged (the client re-sends its snapshot again and again).
    let small = upload(&task, 0, args.sync_conversations.min(1_000));
    let mut resends = Vec::new();
    for _ in 0..21 {
        let (reply, took) = sync(&uploader, &small).await;
        reply.context("an unchanged re-send of the task")?;
        resends.push(took);
    }
    resends.remove(0);
    resends.sort();
    println!(
        "an unchanged re-send of {} conversations ({:.2} MB): p50 {:.2} ms ({} sends)",
        args.sync_conversations.min(1_000),
        small.to_string().len() as f64 / 1e6,
        ms(percentile(&resends, 0.50)),
        resends.len()
    );
    Ok(())
}
