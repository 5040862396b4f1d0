//! `ghl inbox`: what waits for a human on the hub.

use std::time::Duration;

use clap::Args;
use gohumanloop::providers::hub::{HubClient, HubError, ListFilter, RequestView};
use serde_json::Value;
use tokio::time::{timeout_at, Instant};

use crate::client::{HubArgs, Retry};

/// Arguments of `ghl inbox`.
#[derive(Args)]
pub struct InboxArgs {
    #[command(flatten)]
    hub: HubArgs,
    /// Print the hub's JSON instead of a table.
    #[arg(long, conflicts_with = "quiet")]
    json: bool,
    /// Print only the ids (one a line, newest first), for scripts: `ghl respond "$(ghl inbox -q
    /// | head -n 1)" approve`.
    #[arg(short, long)]
    quiet: bool,
    /// Show at most this many (newest first).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// If nothing waits, wait up to SECS for the first request (also while the hub is still
    /// starting) instead of answering "nothing waits" at once.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    wait: Option<u64>,
}

/// Lists pending requests.
pub async fn run(args: InboxArgs) -> anyhow::Result<()> {
    let client = args.hub.client()?;
    let requests = match args.wait {
        Some(secs) => wait_for_first(&client, args.limit, Duration::from_secs(secs)).await?,
        None => pending(&client, args.limit).await?,
    };
    if args.json {
        // Through a JSON value, as the hub's JSON: keys in the same (sorted) order.
        println!("{}", serde_json::to_value(&requests)?);
    } else if args.quiet {
        for r in &requests {
            println!("{}", r.id);
        }
    } else if requests.is_empty() {
        eprintln!("nothing waits for a human");
    } else {
        print_table(&requests);
    }
    Ok(())
}

/// The pending requests, newest first.
async fn pending(client: &HubClient, limit: u32) -> anyhow::Result<Vec<RequestView>> {
    let page = client.list(&ListFilter::pending().limit(limit)).await?;
    Ok(page.requests)
}

/// The pending requests, once there is at least one or `patience` has passed. Woken by the
/// hub's event stream, not by polling; a hub that is not reachable yet is tried again until the
/// deadline.
async fn wait_for_first(
    client: &HubClient,
    limit: u32,
    patience: Duration,
) -> anyhow::Result<Vec<RequestView>> {
    let deadline = Instant::now() + patience;
    let mut retry = Retry::default();
    loop {
        // Subscribe before listing, so that a request created in between is not missed.
        let stream = match timeout_at(deadline, client.events()).await {
            Ok(Ok(stream)) => Some(stream),
            // Not listening yet, or not able to serve the stream now: try again.
            Ok(Err(HubError::Unreachable { .. })) => None,
            Ok(Err(e)) if e.status().is_some_and(|s| s >= 500) => None,
            Ok(Err(e @ HubError::Transport { .. })) => {
                return Err(anyhow::Error::new(e).context("cannot open the hub's event stream"))
            }
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => None,
        };
        let Some(mut stream) = stream else {
            if Instant::now() >= deadline || timeout_at(deadline, retry.wait()).await != Ok(true) {
                // One last try says clearly why nothing could be listed.
                return pending(client, limit).await;
            }
            continue;
        };
        retry.succeeded();
        loop {
            let requests = pending(client, limit).await?;
            if !requests.is_empty() {
                return Ok(requests);
            }
            match timeout_at(deadline, stream.next_activity()).await {
                Err(_) => return Ok(requests),
                // Any event (or keep-alive) is a reason to look again.
                Ok(true) => continue,
                // The stream ended (the hub stopped): subscribe again.
                Ok(false) => break,
            }
        }
    }
}

/// The table: one id (the hub's, which `ghl respond` takes), the type, when, and the question.
fn print_table(requests: &[RequestView]) {
    println!("{:<36}  {:<12}  {:<19}  WHAT", "ID", "TYPE", "CREATED");
    for r in requests {
        println!(
            "{:<36}  {:<12}  {:<19}  {}",
            r.id,
            r.loop_type.as_str(),
            r.created_at.chars().take(19).collect::<String>(),
            summary(&r.context)
        );
    }
}

/// One line saying what the human is asked: the question, else the message.
fn summary(context: &Value) -> String {
    let text = ["question", "message"]
        .iter()
        .find_map(|k| context.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| context.to_string());
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>())
    } else {
        line
    }
}
