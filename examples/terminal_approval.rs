//! An agent that asks a human in the terminal before a (simulated) dangerous tool call.
//!
//! Run: `cargo run --example terminal_approval`
//! Answer `approve`/`yes`/`同意` to let it run, or `reject`/`no`/`拒绝` and give a reason.

use std::sync::Arc;

use gohumanloop::guard::{Guard, GuardError};
use gohumanloop::{Manager, TerminalProvider};
use serde_json::json;

/// The "dangerous tool": pretends to delete files and reports what it did.
async fn delete_files(path: &str, older_than_days: u32) -> String {
    format!("deleted files under {path} older than {older_than_days} days (simulated)")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let manager = Manager::with_provider(Arc::new(TerminalProvider::new("terminal")))?;
    let guard = Guard::new(manager)
        .timeout(300)
        .additional("The agent is cleaning up disk space on the build server.");

    let (path, days) = ("/var/cache/builds", 30);
    let outcome = guard
        .require_approval(
            "delete_files",
            json!({"path": path, "older_than_days": days}),
            |_approval| delete_files(path, days),
        )
        .await;
    match outcome {
        Ok(report) => println!("Agent: {report}"),
        Err(GuardError::Rejected { reason, .. }) => {
            println!("Agent: not deleting anything. The human said: {reason}")
        }
        Err(other) => println!("Agent: no decision, so nothing was done ({other})"),
    }
    Ok(())
}
