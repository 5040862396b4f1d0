//! An agent that holds a conversation in the terminal until the human types `exit` (or `结束`).
//!
//! Run: `cargo run --example terminal_conversation`

use std::sync::Arc;

use gohumanloop::guard::Guard;
use gohumanloop::{Manager, TerminalProvider};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let manager = Manager::with_provider(Arc::new(TerminalProvider::new("terminal")))?;
    let guard = Guard::new(manager).timeout(600);
    let transcript = guard
        .converse(
            "I drafted the release notes. What should I change?",
            |reply| {
                let next = format!("Noted: \"{}\". Anything else?", reply.response_text());
                async move { Some(next) }
            },
        )
        .await?;
    println!("Agent: the conversation had {} turns.", transcript.len());
    Ok(())
}
