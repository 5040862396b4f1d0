//! `ghl ask`: asks one question and turns the outcome into an exit code.

use std::sync::Arc;

use clap::{Args, ValueEnum};
use gohumanloop::providers::terminal::Language;
use gohumanloop::{LoopRequest, LoopType, Manager, TerminalProvider};

use crate::client::HubArgs;
use crate::outcome::{exit_code, ERROR};

/// What kind of question.
#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// May I do this? (approve/reject)
    Approval,
    /// What is X? (free text)
    #[value(alias = "information")]
    Info,
    /// One conversation turn ('exit' ends the conversation).
    Conversation,
}

impl From<Kind> for LoopType {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Approval => LoopType::Approval,
            Kind::Info => LoopType::Information,
            Kind::Conversation => LoopType::Conversation,
        }
    }
}

/// Arguments of `ghl ask`.
#[derive(Args)]
pub struct AskArgs {
    /// What kind of question.
    pub kind: Kind,
    /// The text the human sees.
    pub text: String,
    /// Ask in this terminal (prompts on stderr, the answer on stdout).
    #[arg(long)]
    terminal: bool,
    #[command(flatten)]
    pub hub: HubArgs,
    /// Give up after this many seconds (exit code 2); with --hub the hub holds the deadline.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub timeout: Option<u64>,
    /// Print the whole result as JSON instead of the answer's text.
    #[arg(long)]
    pub json: bool,
    /// The language of the prompts (both languages' keywords are always understood).
    #[arg(long, value_enum, env = "GHL_LANG", default_value = "en")]
    lang: Lang,
}

/// The language of the terminal's prompts.
#[derive(Clone, Copy, ValueEnum)]
pub enum Lang {
    /// English (the original's prompts).
    En,
    /// Chinese.
    Zh,
}

impl From<Lang> for Language {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::En => Language::En,
            Lang::Zh => Language::Zh,
        }
    }
}

/// Runs `ghl ask`; returns the exit code.
pub fn run(args: AskArgs) -> i32 {
    if !args.terminal && args.hub.hub.is_none() {
        eprintln!("ghl ask: say where to ask: --terminal, or --hub URL (or set GHL_HUB)");
        return ERROR;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ghl ask: cannot start the runtime: {e}");
            return ERROR;
        }
    };
    if args.terminal {
        runtime.block_on(ask(args))
    } else {
        runtime.block_on(crate::ask_hub::ask(args))
    }
}

async fn ask(args: AskArgs) -> i32 {
    let provider = Arc::new(TerminalProvider::on_stderr("terminal").language(args.lang.into()));
    let manager = match Manager::with_provider(provider) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("ghl ask: {e}");
            return ERROR;
        }
    };
    let mut request = LoopRequest::new(args.kind.into(), LoopRequest::message_context(&args.text));
    if let Some(secs) = args.timeout {
        request = request.timeout(secs);
    }
    let result = match manager.request_and_wait(request).await {
        Ok(result) => result,
        Err(e) => {
            eprintln!("ghl ask: {e}");
            return ERROR;
        }
    };
    report(&result, args.json, &result.response_text())
}

/// Prints a result (its answer's text, or the whole result as JSON) and returns the exit code.
pub fn report(result: &gohumanloop::HumanLoopResult, json: bool, text: &str) -> i32 {
    if json {
        match serde_json::to_string(result) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("ghl ask: {e}");
                return ERROR;
            }
        }
    } else {
        if !text.is_empty() {
            println!("{text}");
        }
        if let Some(error) = &result.error {
            eprintln!("ghl ask: {}: {error}", result.status);
        }
    }
    exit_code(result.status)
}
