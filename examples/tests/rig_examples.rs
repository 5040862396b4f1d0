//! The rig examples as programs: on a terminal (piped stdin), and — the durable pause — as
//! separate processes (one pauses, the next ones resume) against a real `ghl serve`, answered
//! through its API.

use std::path::PathBuf;
use std::process::{Command, Output};

use gohumanloop_testkit::process::HubProcess;
use serde_json::json;

mod common;

use common::{profile_dir, run_example as run, succeeded};

/// The `ghl` binary the kit's [`HubProcess`] runs: built by `cargo test --workspace`; built here
/// when this package's tests run alone.
fn ghl() -> PathBuf {
    let path = profile_dir().join("ghl");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "-p", "ghl", "--bin", "ghl"])
            .status()
            .unwrap();
        assert!(built.success(), "cargo build -p ghl");
    }
    path
}

fn stdout(out: &Output) -> String {
    succeeded("rig_delete_files", out)
}

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["old.log", "keep.txt"] {
        std::fs::write(dir.path().join(name), "x").unwrap();
    }
    dir
}

#[test]
fn the_terminal_agent_deletes_only_what_the_human_approved() {
    let dir = folder();
    let path = dir.path().to_str().unwrap();
    let rejected = stdout(&run(
        "rig_delete_files",
        &[path],
        &[],
        "no\nkeep the logs\n",
    ));
    assert!(dir.path().join("old.log").exists());
    assert!(
        rejected.contains("delete_file → A human rejected this call of `delete_file`, so it was not made. Their reason: keep the logs"),
        "{rejected}"
    );
    let approved = stdout(&run("rig_delete_files", &[path], &[], "yes\n"));
    assert!(!dir.path().join("old.log").exists());
    assert!(
        dir.path().join("keep.txt").exists(),
        "list_files ran without asking"
    );
    assert!(
        approved.contains("list_files → keep.txt old.log"),
        "{approved}"
    );
    assert!(
        approved.contains("Agent: Finished the clean-up."),
        "{approved}"
    );
}

#[test]
fn the_agent_asks_for_missing_information_and_uses_it() {
    let out = succeeded("rig_ask_info", &run("rig_ask_info", &[], &[], "staging\n"));
    assert!(
        out.contains("Which environment should release 2.4 go to?"),
        "{out}"
    );
    assert!(
        out.contains("deploying release 2.4 to staging (simulated)"),
        "{out}"
    );
    assert!(
        out.contains("Agent: Release 2.4 is deployed where you said."),
        "{out}"
    );
}

/// The request id a paused run prints.
fn request_id(out: &str) -> String {
    out.split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no request id in: {out}"))
        .to_owned()
}

fn answer(hub: &HubProcess, key: &str, request: &str, action: &str, body: serde_json::Value) {
    let url = format!("{}/api/v1/requests/{request}/{action}", hub.base);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        let reply = reqwest::Client::new()
            .post(url)
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap();
        reply.status()
    });
    assert!(status.is_success(), "{action}: {status}");
}

/// A hub with an agent's and an approver's key, and a folder to clean with its state file.
struct Scenario {
    hub: HubProcess,
    agent_key: String,
    approver: String,
    dir: tempfile::TempDir,
}

impl Scenario {
    fn new() -> Self {
        ghl();
        let hub = HubProcess::start();
        Self {
            agent_key: hub.key("acme", "agent"),
            approver: hub.key("acme", "approver"),
            hub,
            dir: folder(),
        }
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the example against the hub: `start` (the folder) or `--resume`, saving to and
    /// resuming from the folder's `run.json`.
    fn agent(&self, first: &str) -> Output {
        let state = self.file("run.json");
        let args = [
            first,
            "--hub",
            &self.hub.base,
            "--state",
            state.to_str().unwrap(),
        ];
        run(
            "rig_delete_files",
            &args,
            &[("GHL_API_KEY", &self.agent_key)],
            "",
        )
    }

    fn answer(&self, request: &str, action: &str, body: serde_json::Value) {
        answer(&self.hub, &self.approver, request, action, body)
    }
}

#[test]
fn a_paused_run_resumes_in_another_process_and_runs_its_call_once() {
    let it = Scenario::new();
    // Process 1: lists, asks about the deletion, saves the run, exits.
    let paused = stdout(&it.agent(it.path()));
    assert!(
        paused.contains("Paused: waiting for a human to decide on delete_file"),
        "{paused}"
    );
    assert!(it.file("old.log").exists());

    // Process 2, before the answer: still paused, nothing ran.
    let early = stdout(&it.agent("--resume"));
    assert!(early.contains("Paused: waiting"), "{early}");
    assert!(it.file("old.log").exists());

    it.answer(
        &request_id(&paused),
        "approve",
        json!({"reason": "old logs can go"}),
    );
    // Process 3: the approved deletion runs, and the run finishes.
    let done = stdout(&it.agent("--resume"));
    assert!(
        done.contains(&format!("deleted {}/old.log", it.path())),
        "{done}"
    );
    assert!(done.contains("Agent: Finished the clean-up."), "{done}");
    assert!(!it.file("old.log").exists());

    // Process 4, the same saved run again: refused, and the call does not run twice.
    std::fs::write(it.file("old.log"), "new").unwrap();
    let again = it.agent("--resume");
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("resumed already"), "{stderr}");
    assert!(!String::from_utf8_lossy(&again.stdout).contains("deleted"));
    assert!(it.file("old.log").exists(), "nothing was deleted again");
}

#[test]
fn an_approval_edited_in_the_hub_runs_with_the_edited_arguments_after_the_resume() {
    let it = Scenario::new();
    let paused = stdout(&it.agent(it.path()));
    let keep = format!("{}/keep.txt", it.path());
    it.answer(
        &request_id(&paused),
        "approve",
        json!({"reason": "not the log, the other one", "arguments": {"path": keep}}),
    );
    let done = stdout(&it.agent("--resume"));
    assert!(done.contains(&format!("deleted {keep}")), "{done}");
    assert!(it.file("old.log").exists());
    assert!(!it.file("keep.txt").exists());
}

#[test]
fn a_rejection_in_the_hub_reaches_the_model_and_deletes_nothing() {
    let it = Scenario::new();
    let paused = stdout(&it.agent(it.path()));
    it.answer(
        &request_id(&paused),
        "reject",
        json!({"reason": "we keep logs for 90 days"}),
    );
    let done = stdout(&it.agent("--resume"));
    assert!(
        done.contains("delete_file → A human rejected this call of `delete_file`, so it was not made. Their reason: we keep logs for 90 days"),
        "{done}"
    );
    assert!(it.file("old.log").exists());
}
