//! `ghl respond REQUEST_ID approve|reject|answer|reply|complete [TEXT]`: answers a request.
//! Exit codes: 0 recorded, 1 someone answered first (the winner is printed), 3 error.

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use gohumanloop::providers::hub::HubError;

use crate::client::HubArgs;
use crate::outcome::{ANSWERED, ERROR};

/// Exit code when another answer won the race.
const TOO_LATE: i32 = 1;

/// How to answer.
#[derive(Clone, Copy, ValueEnum)]
pub enum Action {
    /// Approve an approval request (TEXT: an optional reason).
    Approve,
    /// Reject any request (TEXT: the reason, required).
    Reject,
    /// Answer an information request (TEXT: the information).
    Answer,
    /// Reply in a conversation; it goes on (`inprogress`).
    Reply,
    /// Reply in a conversation and end it (`completed`).
    Complete,
}

/// Arguments of `ghl respond`.
#[derive(Args)]
pub struct RespondArgs {
    /// The request: the hub's id (the one `ghl inbox` shows) or the client's request_id.
    request: String,
    /// What to do.
    action: Action,
    /// The reason (required to reject), information or reply.
    text: Option<String>,
    #[command(flatten)]
    hub: HubArgs,
}

/// Answers; returns the exit code.
pub async fn run(args: RespondArgs) -> i32 {
    match respond(&args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ghl respond: {e:#}");
            ERROR
        }
    }
}

async fn respond(args: &RespondArgs) -> anyhow::Result<i32> {
    let client = args.hub.client()?;
    let text = args.text.as_deref();
    let needs_text = |what: &str| text.ok_or_else(|| anyhow!("{what} needs the TEXT argument"));
    let id = args.request.as_str();
    let answered = match args.action {
        Action::Approve => client.approve(id, text).await,
        Action::Reject => {
            // Every rejection carries its reason; the hub refuses one without.
            let reason = text.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                anyhow!("reject needs a reason: ghl respond {id} reject \"REASON\"")
            })?;
            client.reject(id, reason).await
        }
        Action::Answer => client.answer(id, needs_text("answer")?).await,
        Action::Reply => client.reply(id, needs_text("reply")?, false).await,
        Action::Complete => client.reply(id, text.unwrap_or_default(), true).await,
    };
    match answered {
        Ok(request) => {
            println!("{} is now {}", args.request, request.status);
            Ok(ANSWERED)
        }
        Err(HubError::Conflict(won)) => {
            eprintln!("ghl respond: {won}");
            Ok(TOO_LATE)
        }
        Err(e) => Err(e.into()),
    }
}
