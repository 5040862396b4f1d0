//! The same kind of agent through the hub manager (the original's `GoHumanLoopManager`): the
//! hub is the default provider, configured from `GOHUMANLOOP_API_BASE_URL` and
//! `GOHUMANLOOP_API_KEY`, and the agent's tasks are uploaded to the hub (`tasks/sync`) as they
//! change and at shutdown — visible in the web inbox's Tasks page.
//!
//! ```sh
//! export GOHUMANLOOP_API_BASE_URL=http://127.0.0.1:8000/api GOHUMANLOOP_API_KEY=<key>
//! cargo run --example hub_agent
//! ```

use gohumanloop::providers::hub::HubManager;
use gohumanloop::{LoopRequest, Status};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let manager = HubManager::from_env()?;
    let mut context = LoopRequest::message_context("The nightly report is ready: 3 anomalies.");
    context.insert("question".into(), json!("Send the report to the customer?"));
    let result = manager
        .request_and_wait(
            LoopRequest::approval(context)
                .task_id("nightly-report")
                .timeout(600),
        )
        .await?;
    if result.status == Status::Approved {
        println!("Agent: report sent.");
    } else {
        println!("Agent: report held back ({}).", result.status);
    }
    let report = manager.shutdown().await;
    println!(
        "Agent: tasks synced to the hub: {}",
        report.uploaded.join(", ")
    );
    Ok(())
}
