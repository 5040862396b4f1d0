//! A scripted agent (rig's mock completion model: no network) with tools that record their
//! calls, and a human answering through the in-process provider.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use gohumanloop::interrupt::{Interrupts, Local};
use gohumanloop::{Answer, HumanLoopRequest, InProcessProvider};
use rig_agent::agent::{Agent, AgentBuilder};
use rig_core::message::{Message, ToolResultContent, UserContent};
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use serde::Deserialize;
use serde_json::{json, Value};

/// The calls a tool ran, shared by its clones.
pub type Calls = Arc<Mutex<Vec<Value>>>;

/// `delete_file {path}`: records the call, "deletes" nothing.
#[derive(Clone, Default)]
pub struct DeleteFile {
    pub calls: Calls,
}

#[derive(Deserialize)]
pub struct PathArgs {
    pub path: String,
}

impl Tool for DeleteFile {
    const NAME: &'static str = "delete_file";
    type Args = PathArgs;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Deletes a file".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})
    }

    async fn call(&self, _c: &mut ToolContext, args: PathArgs) -> Result<String, Self::Error> {
        self.calls.lock().unwrap().push(json!({"path": args.path}));
        Ok(format!("deleted {}", args.path))
    }
}

/// `list_files {}`: a read-only tool.
#[derive(Clone, Default)]
pub struct ListFiles {
    pub calls: Calls,
}

impl Tool for ListFiles {
    const NAME: &'static str = "list_files";
    type Args = Value;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Lists files".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }

    async fn call(&self, _c: &mut ToolContext, args: Value) -> Result<String, Self::Error> {
        self.calls.lock().unwrap().push(args);
        Ok("a.txt b.txt".into())
    }
}

/// An agent on `model` with both tools (or the tools given), up to 5 turns.
pub fn agent(model: &MockCompletionModel, delete: &DeleteFile, list: &ListFiles) -> Agent {
    AgentBuilder::new(model.clone())
        .tool(delete.clone())
        .tool(list.clone())
        .default_max_turns(5)
        .build()
}

/// The model calls `delete_file {path}` (call `call-1`), then says "done".
pub fn deletes(path: &str) -> MockCompletionModel {
    MockCompletionModel::from_turns([
        MockTurn::tool_call("call-1", "delete_file", json!({"path": path})),
        MockTurn::text("done"),
    ])
}

/// Interrupts over an in-process provider whose requests the test answers.
pub fn in_process() -> (Arc<InProcessProvider>, Interrupts) {
    let provider = Arc::new(InProcessProvider::new("in-process"));
    let interrupts = Interrupts::new(Arc::new(Local::new(provider.clone())));
    (provider, interrupts)
}

/// Answers the next `n` requests as `answer` says, recording what was asked.
pub fn human(
    provider: &Arc<InProcessProvider>,
    n: usize,
    mut answer: impl FnMut(&HumanLoopRequest) -> Answer + Send + 'static,
) -> tokio::task::JoinHandle<Vec<HumanLoopRequest>> {
    let provider = provider.clone();
    tokio::spawn(async move {
        let mut asked = Vec::new();
        for _ in 0..n {
            let request = provider.next_request().await.expect("a request");
            provider
                .answer(&request, answer(&request))
                .expect("answered");
            asked.push(request);
        }
        asked
    })
}

/// The text of every tool result the model was shown, in order.
pub fn tool_results_seen(model: &MockCompletionModel) -> Vec<String> {
    let Some(last) = model.requests().pop() else {
        return Vec::new();
    };
    let mut seen = Vec::new();
    for message in last.chat_history.iter() {
        if let Message::User { content } = message {
            for item in content.iter() {
                if let UserContent::ToolResult(result) = item {
                    for part in result.content.iter() {
                        if let ToolResultContent::Text(text) = part {
                            seen.push(text.text.clone());
                        }
                    }
                }
            }
        }
    }
    seen
}
