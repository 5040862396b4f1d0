//! `ghl bench --provider-samples N`: answer sent → the library's `ApiProvider` waiting call
//! returns, one request at a time (the provider long-polls the hub; the original client would
//! poll every 5 s).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use gohumanloop::providers::api::{ApiOptions, ApiProvider};
use gohumanloop::{LoopRequest, Manager, Status};

use super::raw::RawClient;
use super::{approve, ms, percentile, until_parked, Parked, PARK_ONE};

/// Times `samples` answers reaching a waiting `ApiProvider` call.
pub async fn run(client: &Arc<RawClient>, key: &str, samples: u32) -> anyhow::Result<()> {
    let options = ApiOptions::new(format!("{}/api", client.base()))
        .api_key(key)
        .default_platform("bench");
    let provider = ApiProvider::connect("hub", options).context("cannot make the provider")?;
    let manager = Manager::with_provider(Arc::new(provider))?;
    let mut times = Vec::with_capacity(samples as usize);
    // Agents already waiting on this node (none in the scripts); each sample's waiter adds one.
    let others = client.parked().await?;
    for _ in 0..samples {
        let ticket = manager
            .request(LoopRequest::approval(LoopRequest::message_context(
                "benchmark",
            )))
            .await?;
        let waiter = {
            let manager = manager.clone();
            let ticket = ticket.clone();
            tokio::spawn(async move {
                let result = manager
                    .wait(&ticket.conversation_id, &ticket.request_id)
                    .await;
                (result, Instant::now())
            })
        };
        // The answer is sent once the hub holds the provider's long-poll parked, not before.
        let parked = until_parked(client, others + 1, PARK_ONE, Duration::ZERO, || {
            waiter.is_finished()
        })
        .await?;
        if let Parked::WaiterEnded = parked {
            let (result, _) = waiter.await.context("waiter task")?;
            bail!(
                "the provider's wait for {} returned before it was answered: {:?}",
                ticket.request_id,
                result.map(|r| r.status)
            );
        }
        let sent = Instant::now();
        approve(client, &ticket.request_id).await?;
        let (result, returned) = waiter.await.context("waiter task")?;
        let status = result?.status;
        if status != Status::Approved {
            bail!(
                "the provider's wait for {} saw {status}, not its approval",
                ticket.request_id
            );
        }
        times.push(returned.saturating_duration_since(sent));
    }
    times.sort();
    println!(
        "answer -> ApiProvider waiting call returns: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
        times.len()
    );
    Ok(())
}
