//! `ghl bench --provider-samples N`: answer sent → the library's `ApiProvider` waiting call
//! returns, one request at a time (the provider long-polls the hub; the original client would
//! poll every 5 s).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use gohumanloop::providers::api::{ApiOptions, ApiProvider};
use gohumanloop::{LoopRequest, Manager, Status};

use super::raw::RawClient;
use super::{approve, ms, percentile};

/// Times `samples` answers reaching a waiting `ApiProvider` call.
pub async fn run(client: &Arc<RawClient>, key: &str, samples: u32) -> anyhow::Result<()> {
    let options = ApiOptions::new(format!("{}/api", client.base()))
        .api_key(key)
        .default_platform("bench");
    let provider = ApiProvider::connect("hub", options).context("cannot make the provider")?;
    let manager = Manager::with_provider(Arc::new(provider))?;
    let mut times = Vec::with_capacity(samples as usize);
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
        // Let the provider's long-poll reach the hub before the answer is sent.
        tokio::time::sleep(Duration::from_millis(3)).await;
        let sent = Instant::now();
        approve(client, &ticket.request_id).await?;
        let (result, returned) = waiter.await.context("waiter task")?;
        let status = result?.status;
        if status != Status::Approved {
            bail!("the provider saw {status}");
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
