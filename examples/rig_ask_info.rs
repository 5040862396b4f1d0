//! A rig agent that asks a human for information it is missing, mid-run, with the `ask_human`
//! tool, then uses the answer. The model is scripted (rig's mock completion model): it asks
//! which environment to deploy to, then deploys there.
//!
//! ```sh
//! cargo run --example rig_ask_info
//! ```

use std::sync::Arc;

use gohumanloop::interrupt::{Interrupts, Local};
use gohumanloop::TerminalProvider;
use gohumanloop_rig::{Gate, Gated, StopOnAbort};
use rig_agent::agent::AgentBuilder;
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use serde::Deserialize;
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let terminal = Arc::new(TerminalProvider::new("terminal"));
    // `ask_human` is never gated (it is a question to a human already); `deploy` is not either.
    let gate = Gate::new(Interrupts::new(Arc::new(Local::new(terminal))))
        .gated(Gated::named(["delete_release"]))
        .timeout(300);
    let model = MockCompletionModel::from_turns([
        MockTurn::tool_call(
            "call-ask",
            "ask_human",
            json!({
                "question": "Which environment should release 2.4 go to?",
                "context": "staging and production are both free"
            }),
        ),
        // The scripted model passes on whatever the human said (see `Deploy`).
        MockTurn::tool_call("call-deploy", "deploy", json!({"release": "2.4"})),
        MockTurn::text("Release 2.4 is deployed where you said."),
    ]);
    let deploy = Deploy::default();
    let agent = AgentBuilder::new(model)
        .tool(gate.ask_human())
        .tool(deploy.clone())
        .default_max_turns(5)
        .build();
    let response = agent
        .prompt("Deploy release 2.4.")
        .add_hook(StopOnAbort)
        .add_hook(LastAnswer(deploy.answer.clone()))
        .await?;
    println!("Agent: {}", response.output());
    Ok(())
}

/// `deploy`: "deploys" a release to the environment the human named.
#[derive(Clone, Default)]
struct Deploy {
    answer: Arc<std::sync::Mutex<Option<String>>>,
}

#[derive(Deserialize)]
struct DeployArgs {
    release: String,
}

impl Tool for Deploy {
    const NAME: &'static str = "deploy";
    type Args = DeployArgs;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Deploys a release".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"release": {"type": "string"}}})
    }

    async fn call(&self, _: &mut ToolContext, args: DeployArgs) -> Result<String, Self::Error> {
        let target = self
            .answer
            .lock()
            .map_err(|_| ToolExecutionError::other("lock poisoned"))?
            .clone()
            .ok_or_else(|| ToolExecutionError::invalid_args("nobody said where to deploy"))?;
        println!("deploying release {} to {target} (simulated)", args.release);
        Ok(format!("release {} deployed to {target}", args.release))
    }
}

/// Remembers the human's last answer to `ask_human`, standing in for a real model reading it
/// from the conversation.
struct LastAnswer(Arc<std::sync::Mutex<Option<String>>>);

impl rig_agent::agent::AgentHook for LastAnswer {
    async fn on_outcome(
        &self,
        _ctx: &rig_agent::agent::HookContext,
        event: rig_agent::agent::OutcomeEvent<'_>,
    ) -> rig_agent::agent::OutcomeAction {
        if event.tool_name() == Some("ask_human") {
            if let Some(text) = event
                .tool_result()
                .filter(|r| r.is_success())
                .and_then(|r| r.output().as_text())
            {
                if let Ok(mut answer) = self.0.lock() {
                    *answer = Some(text.to_owned());
                }
            }
        }
        rig_agent::agent::OutcomeAction::proceed()
    }
}
