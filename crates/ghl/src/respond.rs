//! `ghl respond REQUEST_ID approve|reject|answer|reply|complete [TEXT]`: answers a request.
//! Exit codes: 0 recorded, 1 someone answered first (the winner is printed), 3 error.

use clap::{Args, ValueEnum};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::client::{HubArgs, HubClient};
use crate::outcome::{ANSWERED, ERROR};

/// Exit code when another answer won the race.
const TOO_LATE: i32 = 1;

/// How to answer.
#[derive(Clone, Copy, ValueEnum)]
pub enum Action {
    /// Approve an approval request (TEXT: an optional reason).
    Approve,
    /// Reject any request (TEXT: the reason).
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
    /// The reason, information or reply.
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
    let client = HubClient::new(&args.hub)?;
    let text = args.text.clone();
    let needs_text = |what: &str| {
        text.clone()
            .ok_or_else(|| anyhow::anyhow!("{what} needs the TEXT argument"))
    };
    let (verb, body) = match args.action {
        Action::Approve => (
            "approve",
            json!({"reason": text.clone().unwrap_or_default()}),
        ),
        Action::Reject => (
            "reject",
            json!({"reason": text.clone().unwrap_or_default()}),
        ),
        Action::Answer => ("answer", json!({"text": needs_text("answer")?})),
        Action::Reply => (
            "reply",
            json!({"text": needs_text("reply")?, "complete": false}),
        ),
        Action::Complete => (
            "reply",
            json!({"text": text.clone().unwrap_or_default(), "complete": true}),
        ),
    };
    let path = format!("/api/v1/requests/{}/{verb}", args.request);
    let reply = client.call(Method::POST, &path, &[], Some(&body)).await?;
    if reply.succeeded() {
        let status = reply.body["request"]["status"].as_str().unwrap_or("?");
        println!("{} is now {status}", args.request);
        return Ok(ANSWERED);
    }
    eprintln!("ghl respond: {}", reply.error());
    Ok(
        if reply.status == StatusCode::CONFLICT
            && reply.body.get("status").is_some_and(Value::is_string)
        {
            TOO_LATE
        } else {
            ERROR
        },
    )
}
