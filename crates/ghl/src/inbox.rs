//! `ghl inbox`: what waits for a human on the hub.

use anyhow::bail;
use clap::Args;
use reqwest::Method;
use serde_json::Value;

use crate::client::{HubArgs, HubClient};

/// Arguments of `ghl inbox`.
#[derive(Args)]
pub struct InboxArgs {
    #[command(flatten)]
    hub: HubArgs,
    /// Print the hub's JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Show at most this many (newest first).
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// Lists pending requests.
pub async fn run(args: InboxArgs) -> anyhow::Result<()> {
    let client = HubClient::new(&args.hub)?;
    let query = [
        ("status", "pending".to_owned()),
        ("limit", args.limit.to_string()),
    ];
    let reply = client
        .call(Method::GET, "/api/v1/requests", &query, None)
        .await?;
    if !reply.succeeded() {
        bail!("{}", reply.error());
    }
    let requests = reply.body["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if args.json {
        println!("{}", Value::Array(requests));
        return Ok(());
    }
    if requests.is_empty() {
        eprintln!("nothing waits for a human");
        return Ok(());
    }
    println!(
        "{:<36}  {:<12}  {:<20}  {:<36}  WHAT",
        "REQUEST", "TYPE", "CREATED", "ID"
    );
    for r in &requests {
        let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        println!(
            "{:<36}  {:<12}  {:<20}  {:<36}  {}",
            field("request_id"),
            field("loop_type"),
            field("created_at").chars().take(19).collect::<String>(),
            field("id"),
            summary(&r["context"])
        );
    }
    Ok(())
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
