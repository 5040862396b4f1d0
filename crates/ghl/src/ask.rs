//! `ghl ask`: asks one question and turns the outcome into an exit code.

use std::sync::Arc;

use clap::{Args, ValueEnum};
use gohumanloop::guard::{binding, Binding};
use gohumanloop::model::JsonObject;
use gohumanloop::providers::terminal::Language;
use gohumanloop::{HumanLoopResult, LoopRequest, LoopType, Manager, Status, TerminalProvider};
use serde_json::{json, Value};

use crate::client::HubArgs;
use crate::outcome::{decision_notes, exit_code, ERROR};

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
    /// Ask about a call of this function (sent as the context's `function`); an approval the
    /// hub bound to another call (`call_hash`) then exits with code 3.
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,
    /// The arguments of the --function call, as a JSON object (default `{}`).
    #[arg(long, value_name = "JSON", requires = "function", value_parser = parse_arguments)]
    pub arguments: Option<Value>,
}

/// Parses `--arguments`: a JSON object.
fn parse_arguments(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("the arguments must be a JSON object".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

impl AskArgs {
    /// The arguments of the call asked about (`{}` when --arguments is not given).
    fn call_arguments(&self) -> Value {
        self.arguments.clone().unwrap_or_else(|| json!({}))
    }

    /// The question's context: `message`, and `function` (`function_name`, `arguments`) when
    /// asking about a call.
    pub fn context(&self) -> JsonObject {
        let mut context = LoopRequest::message_context(&self.text);
        if let Some(function) = &self.function {
            context.insert(
                "function".into(),
                json!({"function_name": function, "arguments": self.call_arguments()}),
            );
        }
        context
    }
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
    let mut request = LoopRequest::new(args.kind.into(), args.context());
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
    finish(&args, &result, &result.response_text())
}

/// Reports a settled request: refuses (exit code 3) an approval bound to another call than the
/// --function call asked about, says who decided when a policy or a grant did, then
/// [`report`]s it.
pub fn finish(args: &AskArgs, result: &HumanLoopResult, text: &str) -> i32 {
    if let (Some(function), Status::Approved) = (&args.function, result.status) {
        if let Binding::Mismatch { approved, expected } =
            binding(function, &args.call_arguments(), result)
        {
            eprintln!(
                "ghl ask: approval of {function} is for other arguments (call_hash {approved}, \
                 this call's {expected}), refusing it"
            );
            return ERROR;
        }
    }
    for note in decision_notes(result) {
        eprintln!("ghl ask: {note}");
    }
    report(result, args.json, text)
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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use gohumanloop::model::call_hash;

    use super::*;
    use crate::outcome::{ANSWERED, REJECTED};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        ask: AskArgs,
    }

    fn args(extra: &[&str]) -> AskArgs {
        let mut argv = vec!["ghl-ask", "approval", "Pay?", "--terminal", "--json"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv) {
            Ok(cli) => cli.ask,
            Err(e) => panic!("{e}"),
        }
    }

    fn settled(status: Status, response: Value) -> HumanLoopResult {
        let mut result = HumanLoopResult::pending("c", "r", LoopType::Approval);
        result.status = status;
        result.response = response;
        result
    }

    #[test]
    fn the_function_call_is_sent_and_its_approval_must_be_bound_to_it() {
        let ask = args(&["--function", "pay", "--arguments", r#"{"amount": 5}"#]);
        assert_eq!(
            Value::Object(ask.context()),
            json!({"message": "Pay?", "function": {"function_name": "pay", "arguments": {"amount": 5}}})
        );
        let bound = call_hash("pay", &json!({"amount": 5}));
        let other = call_hash("pay", &json!({"amount": 500}));
        let approved = |hash: &str| settled(Status::Approved, json!({"call_hash": hash}));
        assert_eq!(finish(&ask, &approved(&bound), ""), ANSWERED);
        assert_eq!(finish(&ask, &approved(&other), ""), ERROR);
        // Edited arguments are bound by their own hash.
        let edited = settled(
            Status::Approved,
            json!({"arguments": {"amount": 500}, "edited": true, "call_hash": other}),
        );
        assert_eq!(finish(&ask, &edited, ""), ANSWERED);
        // No call_hash (an older hub, the terminal): accepted as before.
        assert_eq!(
            finish(&ask, &settled(Status::Approved, json!({})), ""),
            ANSWERED
        );
        let policy = settled(
            Status::Rejected,
            json!({"decided_by": "policy", "rule": "big", "when": "at_deadline"}),
        );
        assert_eq!(finish(&ask, &policy, ""), REJECTED);
        // Without --function there is no call to bind to.
        assert_eq!(finish(&args(&[]), &approved(&other), ""), ANSWERED);
        assert_eq!(
            args(&[]).context().get("function"),
            None,
            "no function without --function"
        );
    }

    #[test]
    fn the_arguments_must_be_a_json_object_of_a_function() {
        assert!(parse_arguments("[1]").is_err());
        assert!(parse_arguments("{").is_err());
        let mut argv = vec!["ghl-ask", "approval", "Pay?", "--arguments", "{}"];
        assert!(
            Cli::try_parse_from(&argv).is_err(),
            "--arguments needs --function"
        );
        argv.extend(["--function", "pay"]);
        assert!(Cli::try_parse_from(&argv).is_ok());
    }
}
