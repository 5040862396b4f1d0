//! An agent that asks a human for information it cannot find by itself, then uses it.
//!
//! Run: `cargo run --example terminal_info`

use std::sync::Arc;

use gohumanloop::guard::Guard;
use gohumanloop::{Manager, TerminalProvider};
use serde_json::json;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let manager = Manager::with_provider(Arc::new(TerminalProvider::new("terminal")))?;
    let guard = Guard::new(manager)
        .timeout(300)
        .question("Which customer account should the refund go to?");

    let booked = guard
        .require_info(
            "book_refund",
            json!({"amount": 120, "currency": "EUR"}),
            |info| async move {
                let account = info.response_text();
                format!("refund of 120 EUR booked to account '{account}' (simulated)")
            },
        )
        .await;
    match booked {
        Ok(report) => println!("Agent: {report}"),
        Err(e) => println!("Agent: could not book the refund: {e}"),
    }
    Ok(())
}
