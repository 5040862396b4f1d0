//! A rig agent that cleans up a folder and deletes files only after a human approved each
//! deletion. The model is scripted (rig's mock completion model: no network, no key): it lists
//! the folder, then asks to delete `old.log`.
//!
//! On this terminal (the agent waits for your answer):
//!
//! ```sh
//! cargo run --example rig_delete_files -- /tmp/demo
//! ```
//!
//! Through a hub, pausing (the run is saved to a file; approve in the web inbox, by email, in
//! chat…; then resume it from any process, once):
//!
//! ```sh
//! export GHL_API_KEY=<an agent key>
//! cargo run --example rig_delete_files -- /tmp/demo --hub http://127.0.0.1:8000 --state run.json
//! cargo run --example rig_delete_files -- --resume --hub http://127.0.0.1:8000 --state run.json --wait 60
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gohumanloop::interrupt::{Hub, Interrupts, Local};
use gohumanloop::providers::hub::HubClient;
use gohumanloop::TerminalProvider;
use gohumanloop_rig::{Gate, Gated, Outcome, PausedRun};
use rig_agent::agent::{Agent, AgentBuilder, PromptResponse};
use rig_core::message::{Message, ToolResultContent, UserContent};
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use serde::Deserialize;
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gohumanloop_examples::exit_code(run().await)
}

struct Args {
    dir: Option<PathBuf>,
    hub: Option<String>,
    state: Option<PathBuf>,
    resume: bool,
    /// How long a resume waits for the answer before it reports the run still paused.
    wait: Duration,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        dir: None,
        hub: None,
        state: None,
        resume: false,
        wait: Duration::ZERO,
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        match word.as_str() {
            "--hub" => args.hub = words.next(),
            "--state" => args.state = words.next().map(PathBuf::from),
            "--resume" => args.resume = true,
            "--wait" => {
                let secs = words.next().and_then(|w| w.parse().ok());
                args.wait = Duration::from_secs(secs.ok_or("--wait takes whole seconds")?);
            }
            _ if word.starts_with("--") => return Err(format!("unknown option {word}")),
            _ => args.dir = Some(PathBuf::from(word)),
        }
    }
    Ok(args)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let Some(hub) = &args.hub else {
        let dir = args
            .dir
            .ok_or("usage: rig_delete_files DIR [--hub URL --state FILE]")?;
        let terminal = Arc::new(TerminalProvider::new("terminal"));
        let gate = Gate::new(Interrupts::new(Arc::new(Local::new(terminal))))
            .gated(Gated::all().read_only(["list_files"]));
        let agent = agent(&dir, cleanup_script(&dir));
        let response = agent.prompt(prompt(&dir)).add_hook(gate.hook()).await?;
        report(&response);
        return Ok(());
    };
    let state = args
        .state
        .ok_or("--hub needs --state FILE (where the paused run is saved)")?;
    let key = std::env::var("GHL_API_KEY").map_err(|_| "set GHL_API_KEY to an agent key")?;
    let gate = Gate::new(Interrupts::new(Arc::new(Hub::new(HubClient::new(
        hub, key,
    )?))))
    .gated(Gated::all().read_only(["list_files"]))
    .timeout(3600)
    .pause_after(Duration::ZERO);
    let outcome = if args.resume {
        let paused = PausedRun::decode(&std::fs::read_to_string(&state)?)?;
        // The saved run knows the folder; the tools only need it to stay inside it.
        let dir = folder_of(&paused).ok_or("the saved run names no folder")?;
        let agent = agent(
            &dir,
            MockCompletionModel::from_turns([MockTurn::text(FINISHED)]),
        );
        gate.resume(&agent, paused, args.wait).await?
    } else {
        let dir = args
            .dir
            .ok_or("usage: rig_delete_files DIR --hub URL --state FILE")?;
        let agent = agent(&dir, cleanup_script(&dir));
        gate.run(&agent, agent.prompt(prompt(&dir))).await?
    };
    match outcome {
        Outcome::Finished(response) => report(&response),
        Outcome::Paused(paused) => {
            std::fs::write(&state, paused.encode()?)?;
            for asked in paused.asked() {
                println!(
                    "Paused: waiting for a human to decide on {} {} (request {}).",
                    asked.tool, asked.arguments, asked.token.request_id
                );
            }
            println!(
                "Saved the run to {}; resume it with --resume.",
                state.display()
            );
        }
    }
    Ok(())
}

const FINISHED: &str = "Finished the clean-up.";

fn prompt(dir: &Path) -> String {
    format!("Clean up {}: remove old logs.", dir.display())
}

/// What the scripted model says: list the folder, delete `old.log`, then finish.
fn cleanup_script(dir: &Path) -> MockCompletionModel {
    let old = dir.join("old.log").display().to_string();
    MockCompletionModel::from_turns([
        MockTurn::tool_call("call-list", "list_files", json!({})),
        MockTurn::tool_call("call-delete", "delete_file", json!({"path": old})),
        MockTurn::text(FINISHED),
    ])
}

fn agent(dir: &Path, model: MockCompletionModel) -> Agent {
    AgentBuilder::new(model)
        .preamble("You keep folders tidy.")
        .tool(ListFiles {
            dir: dir.to_owned(),
        })
        .tool(DeleteFile {
            dir: dir.to_owned(),
        })
        .default_max_turns(5)
        .build()
}

/// The folder a saved run works on: the parent of the first file it asked to delete.
fn folder_of(paused: &PausedRun) -> Option<PathBuf> {
    let path = paused.asked().first()?.arguments.get("path")?.as_str()?;
    Path::new(path).parent().map(Path::to_owned)
}

fn report(response: &PromptResponse) {
    for message in response.messages() {
        if let Message::User { content } = message {
            for item in content.iter() {
                if let UserContent::ToolResult(result) = item {
                    for part in result.content.iter() {
                        if let ToolResultContent::Text(text) = part {
                            println!("  {} → {}", result.name, text.text);
                        }
                    }
                }
            }
        }
    }
    println!("Agent: {}", response.output());
}

/// `list_files`: the names in the folder (read-only: never gated).
struct ListFiles {
    dir: PathBuf,
}

impl Tool for ListFiles {
    const NAME: &'static str = "list_files";
    type Args = Value;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Lists the files of the folder being cleaned".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }

    async fn call(&self, _: &mut ToolContext, _: Value) -> Result<String, Self::Error> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .map_err(ToolExecutionError::from_error)?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names.join(" "))
    }
}

#[derive(Deserialize)]
struct PathArgs {
    path: PathBuf,
}

/// `delete_file`: deletes one file of the folder (gated: runs only once approved).
struct DeleteFile {
    dir: PathBuf,
}

impl Tool for DeleteFile {
    const NAME: &'static str = "delete_file";
    type Args = PathArgs;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Deletes one file of the folder being cleaned".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})
    }

    async fn call(&self, _: &mut ToolContext, args: PathArgs) -> Result<String, Self::Error> {
        if args.path.parent() != Some(self.dir.as_path()) {
            return Err(ToolExecutionError::permission_denied(format!(
                "{} is not a file of {}",
                args.path.display(),
                self.dir.display()
            )));
        }
        std::fs::remove_file(&args.path).map_err(ToolExecutionError::from_error)?;
        println!("deleted {}", args.path.display());
        Ok(format!("deleted {}", args.path.display()))
    }
}
