//! An agent that asks a human through any server of the protocol — here `ghl serve` — with the
//! library's `ApiProvider`: an approval of a tool call, then a question. The hub pushes each
//! answer to the waiting call at once (long-poll).
//!
//! ```sh
//! ghl serve &
//! export GHL_HUB=http://127.0.0.1:8000 GHL_API_KEY=$(ghl keys create --name agent | tail -n 1)
//! cargo run --example api_agent
//! # meanwhile, a human: ghl inbox; ghl respond <ID> approve   (or the web inbox)
//! ```

use std::sync::Arc;

use gohumanloop::providers::api::{ApiOptions, ApiProvider};
use gohumanloop::{LoopRequest, Manager, Status};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let hub = std::env::var("GHL_HUB").unwrap_or_else(|_| "http://127.0.0.1:8000".into());
    let key = std::env::var("GHL_API_KEY")?;
    let options = ApiOptions::new(format!("{hub}/api"))
        .api_key(key)
        .default_platform("api-agent");
    let manager = Manager::with_provider(Arc::new(ApiProvider::connect("hub", options)?))?;

    let mut context = LoopRequest::message_context("Scale the web tier before the sale.");
    context.insert(
        "question".into(),
        json!("May I scale the web tier to 12 nodes?"),
    );
    context.insert(
        "function".into(),
        json!({"function_name": "scale", "arguments": {"tier": "web", "nodes": 12}}),
    );
    let approval = manager
        .request_and_wait(LoopRequest::approval(context).timeout(600))
        .await?;
    match approval.status {
        Status::Approved => {
            // An approver may have edited the arguments in the web inbox.
            let nodes = approval.response.pointer("/arguments/nodes").cloned();
            let nodes = nodes.unwrap_or(json!(12));
            println!("Agent: scaling the web tier to {nodes} nodes.");
        }
        other => println!("Agent: not scaling ({other}): {}", approval.response),
    }

    let mut question = LoopRequest::message_context("The sale needs a banner.");
    question.insert(
        "question".into(),
        json!("Which discount should the banner show?"),
    );
    let answer = manager
        .request_and_wait(LoopRequest::information(question).timeout(600))
        .await?;
    let text = answer.response["information"].as_str().unwrap_or("none");
    println!(
        "Agent: the banner will show '{text}' (answered by {}).",
        answer.responded_by.as_deref().unwrap_or("?")
    );
    Ok(())
}
