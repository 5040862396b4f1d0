//! Promises about Python against a real `ghl serve`: the original client's own `timeout=`
//! stays in the client (python-client.md); `answer_pending` gives LangChain's
//! `HumanInTheLoopMiddleware` `{"type": "approve"}` for a plain approval and a `reject` saying
//! so for edits on a tool that allows none (python.md); a LangGraph resume long-polls the hub
//! instead of polling every 5 s (README, Python; python.md); a resumer that dies after its claim
//! is not resumed again (python.md); the wheel is one abi3 wheel (README; python.md).
//!
//! The original client is the real `gohumanloop` 0.0.15, the adapters the real
//! `gohumanloop_rs` package with LangGraph and LangChain, all from the test venv
//! (`GHL_TEST_PYTHON`, set by `scripts/test.sh`); without them the tests report themselves
//! skipped.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{get_json, parked_waiters, post_json, HubProcess};
use gohumanloop_testkit::until;
use serde_json::{json, Value};

/// The Python package's folder (its scenarios are in `tests/`).
const PACKAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../gohumanloop-py");

/// A bound for waits that end at once when things work (it only bounds a hang).
const BOUND: Duration = Duration::from_secs(60);

/// A hub, an agent's key and an approver's key (tenant "a"), and the venv's Python.
struct Setup {
    python: String,
    hub: HubProcess,
    agent: String,
    approver: String,
}

impl Setup {
    fn start(modules: &str) -> Option<Self> {
        let python = common::python_with(modules)?;
        let hub = HubProcess::start();
        let agent = hub.key("a", "agent");
        let approver = hub.key("a", "alice");
        Some(Self {
            python,
            hub,
            agent,
            approver,
        })
    }

    /// `python SCRIPT_OR_FLAG` in the package's `tests/` folder, with the hub's address, the
    /// keys and the files the scenarios keep (as `python_adapters.rs` runs them).
    fn command(&self, script: &str) -> Command {
        let mut command = Command::new(&self.python);
        command
            .current_dir(PathBuf::from(PACKAGE).join("tests"))
            .arg(script)
            .env("HUB", &self.hub.base)
            .env("AGENT_KEY", &self.agent)
            .env("APPROVER_KEY", &self.approver)
            .env("CHECKPOINTS", self.hub.path().join("checkpoints.db"))
            .env("RUN_LOG", self.hub.path().join("runs.log"))
            .env_remove("GOHUMANLOOP_API_KEY")
            .env_remove("GOHUMANLOOP_EMAIL_USERNAME")
            .env_remove("GOHUMANLOOP_EMAIL_PASSWORD");
        command
    }

    /// Runs scenario `name` of `script`; asserts it printed `ok NAME`.
    fn scenario(&self, script: &str, name: &str) {
        let out = self
            .command(script)
            .arg(name)
            .output()
            .expect("python runs");
        expect_ok(&out, name);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hub.base)
    }
}

fn expect_ok(out: &Output, name: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().any(|l| l == format!("ok {name}")),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A child process, killed if the test ends before it does.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The original client asks through the hub with its own `timeout=1` (and a 1 s poll), and
/// waits until it reports the request ended; prints that status, error and request id as
/// JSON.
const CLIENT_TIMES_OUT: &str = r#"
import asyncio, json, os, time, uuid
from gohumanloop import APIProvider, HumanLoopStatus, HumanLoopType
from pydantic import SecretStr

async def main():
    provider = APIProvider(name="hub", api_base_url=os.environ["HUB"] + "/api",
                           api_key=SecretStr(os.environ["AGENT_KEY"]),
                           default_platform="hub", poll_interval=1)
    conversation_id = str(uuid.uuid4())
    created = await provider.async_request_humanloop(
        task_id="deploy", conversation_id=conversation_id,
        loop_type=HumanLoopType.APPROVAL, context={"message": "Deploy v2?"}, timeout=1)
    assert created.status == HumanLoopStatus.PENDING, created
    until = time.monotonic() + 60  # bounds a hang only
    while True:
        result = await provider.async_check_request_status(conversation_id, created.request_id)
        if result.status != HumanLoopStatus.PENDING or time.monotonic() > until:
            break
        await asyncio.sleep(0.05)
    print(json.dumps({"request_id": created.request_id, "status": result.status.value,
                      "error": result.error}))

asyncio.run(main())
"#;

/// "The original client's own `timeout=` argument never reaches the server: the client expires
/// the request locally … On the hub the request then stays `pending` — visible in the inbox,
/// answerable" (python-client.md; README, the hub): the real client, asked with `timeout=1`,
/// reports `expired` / `Request timed out` by itself; the hub then still has the request
/// `pending`, with no deadline, and an approver can still answer it.
///
/// Checked by giving every request without a timeout a deadline of 1 s in the hub
/// (`deadline_secs` in `gohumanloop-hub/src/core/intake.rs`): fails, the request has a
/// `deadline_at` and has expired at the hub.
#[tokio::test]
async fn the_original_clients_own_timeout_never_reaches_the_hub() {
    let Some(setup) = Setup::start("gohumanloop") else {
        return;
    };
    let mut command = setup.command("-c");
    command.arg(CLIENT_TIMES_OUT);
    let out = tokio::task::spawn_blocking(move || command.output().expect("python runs"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(
        (&client["status"], &client["error"]),
        (&json!("expired"), &json!("Request timed out")),
        "the client gave up by itself: {client}"
    );

    let id = client["request_id"].as_str().unwrap();
    let seen = get_json(&setup.url(&format!("/api/v1/requests/{id}")), &setup.agent).await;
    let request = &seen["request"];
    assert_eq!(request["status"], "pending", "{seen}");
    assert_eq!(request["deadline_at"], Value::Null, "{seen}");
    let approved = post_json(
        &setup.url(&format!("/api/v1/requests/{id}/approve")),
        &setup.approver,
        &json!({"reason": "late, but yes"}),
    )
    .await;
    assert_eq!(approved["success"], true, "still answerable: {approved}");
}

/// python.md's table for `answer_pending`: "approves → `{"type": "approve"}`" and "approves
/// with edits, on a tool that allows no `edit` → `reject`, saying that edits are not allowed
/// there": one batch of two tool calls, one approved plainly (it runs as the model asked), one
/// approved with edited arguments on a tool allowing only approve/reject (it does not run, and
/// the model is told why). The scenario is in `hitl_scenarios.py`.
///
/// Checked with a copy of the package whose `_hitl._decision` passes edits on wherever
/// (`"edit" in action.allowed` → `True`): fails, the decision is an `edit`; and with one whose
/// plain approval carries the arguments (`{"type": "approve", "args": …}`): fails on the first
/// decision.
#[test]
fn a_plain_approval_approves_and_edits_where_none_are_allowed_reject() {
    let Some(setup) = Setup::start("gohumanloop_rs, langgraph, langchain") else {
        return;
    };
    setup.scenario(
        "hitl_scenarios.py",
        "plain_approve_and_edits_where_no_edit_is_allowed",
    );
}

/// "`create_resume_command(graph=, config=)` … long-polls the hub (no 5 s polling)" (README,
/// Python; python.md: "the answer arrives within milliseconds, not at the next 5-second
/// poll"): a graph is interrupted in one process; a resumer in a second process waits at the
/// hub (the hub's waiter gauge counts it) before the human answers; from the answer to the
/// resumed graph's end takes less than 5 s — that bound is the promise itself: an answer
/// picked up by 5-second polling, or only when a held wait ends, misses it.
///
/// Checked with a copy of the package whose `_waiting.settle` polls (`follow(token, 0)`, then
/// `time.sleep(5)`): fails, the resumer never waits at the hub.
#[tokio::test]
async fn a_resume_long_polls_the_hub_and_wakes_on_the_answer() {
    let Some(setup) = Setup::start("gohumanloop_rs, langgraph, langchain") else {
        return;
    };
    setup.scenario("langgraph_scenarios.py", "interrupt_then_exit");
    let page = get_json(
        &setup.url("/api/v1/requests?status=pending"),
        &setup.approver,
    )
    .await;
    let pending = page["requests"].as_array().cloned().unwrap_or_default();
    assert_eq!(pending.len(), 1, "{page}");
    let id = pending[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        parked_waiters(&setup.hub.base).await,
        Some(0),
        "nobody waits yet"
    );

    // The resumer: a new process that waits up to 30 s for the answer, then resumes.
    let errors = setup.hub.path().join("resumer.stderr");
    let mut resumer = Reaped(
        setup
            .command("langgraph_scenarios.py")
            .arg("resume_in_a_new_process")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&errors).expect("a file for the resumer's stderr"))
            .spawn()
            .expect("the resumer starts"),
    );
    let stdout = resumer.0.stdout.take().expect("piped");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let base = setup.hub.base.clone();
    until("the resumer waiting at the hub", BOUND, || async {
        (parked_waiters(&base).await? >= 1).then_some(())
    })
    .await;

    let answered = Instant::now();
    let approved = post_json(
        &setup.url(&format!("/api/v1/requests/{id}/approve")),
        &setup.approver,
        &json!({"reason": "go"}),
    )
    .await;
    assert_eq!(approved["success"], true, "{approved}");
    let done = tokio::task::spawn_blocking(move || {
        let end = Instant::now() + BOUND;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line == "ok resume_in_a_new_process" => return Some(Instant::now()),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })
    .await
    .unwrap();
    let status = resumer.0.wait().expect("the resumer ends");
    let stderr = std::fs::read_to_string(&errors).unwrap_or_default();
    let done = done.unwrap_or_else(|| panic!("the resume did not finish ({status}):\n{stderr}"));
    assert!(status.success(), "{stderr}");
    let took = done.duration_since(answered);
    println!("answer → resumed graph: {took:?}");
    assert!(
        took < Duration::from_secs(5),
        "the answer reached the resumed graph after {took:?}: polling, not a long-poll"
    );
    let runs = std::fs::read_to_string(setup.hub.path().join("runs.log")).unwrap();
    assert_eq!(runs, "100 acme\n", "the approved call ran once");
}

/// "The claim is taken before your code continues: if the process dies between the claim and
/// the side effect, the interrupt is not resumed again (at most once)" (python.md): a resumer
/// that claims the answer and dies (`os._exit`) before the approved call runs; a second
/// resumer in a new process gets nothing to resume, and the call never ran.
///
/// Checked against a copy of the package (first on `PYTHONPATH`) whose `create_resume_command`
/// builds a command from any settled answer, not only from the claim this call won: the second
/// resumer got a command ("a second resume does nothing" failed), and so did this test.
#[tokio::test]
async fn a_resumer_that_dies_after_its_claim_is_not_resumed_again() {
    let Some(setup) = Setup::start("gohumanloop_rs, langgraph, langchain") else {
        return;
    };
    setup.scenario("langgraph_scenarios.py", "interrupt_then_exit");
    let page = get_json(
        &setup.url("/api/v1/requests?status=pending"),
        &setup.approver,
    )
    .await;
    let id = page["requests"][0]["id"]
        .as_str()
        .expect("one pending")
        .to_owned();
    let approved = post_json(
        &setup.url(&format!("/api/v1/requests/{id}/approve")),
        &setup.approver,
        &json!({"reason": "go"}),
    )
    .await;
    assert_eq!(approved["success"], true, "{approved}");

    let died = setup
        .command("langgraph_scenarios.py")
        .arg("claim_then_die")
        .output()
        .expect("python runs");
    let said = String::from_utf8_lossy(&died.stdout);
    assert!(said.lines().any(|l| l == "ok claim_then_die"), "{said}");
    assert_eq!(died.status.code(), Some(9), "it died after the claim");

    let again = setup
        .command("langgraph_scenarios.py")
        .arg("resume_in_a_new_process")
        .env("EXPECT", "nothing")
        .output()
        .expect("python runs");
    expect_ok(&again, "resume_again_does_nothing");
    let runs = std::fs::read_to_string(setup.hub.path().join("runs.log")).unwrap_or_default();
    assert_eq!(runs, "", "the approved call never ran");
}

/// "One abi3 wheel for CPython ≥ 3.10" (README, Python; python.md): the wheel `scripts/test.sh`
/// builds is tagged `cp310-abi3`, and that same file, installed into the test venv's CPython
/// (a later minor version than 3.10), is the one it imports: its extension is the stable-ABI
/// `.abi3.so`, not one built for that interpreter.
///
/// Not broken on purpose (another maturin build takes minutes here): both checks read what
/// pyo3's `abi3-py310` feature decides — without it maturin tags the wheel `cp311-cp311` and
/// names the extension `_native.cpython-311-x86_64-linux-gnu.so`, and each assertion fails.
#[test]
fn one_abi3_wheel_serves_every_cpython_from_3_10() {
    let Some(python) = common::python_with("gohumanloop_rs") else {
        return;
    };
    let wheels = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/wheels"));
    let built: Vec<String> = std::fs::read_dir(&wheels)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".whl"))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        built.len(),
        1,
        "one wheel in {}: {built:?}",
        wheels.display()
    );
    assert!(
        built[0].starts_with("gohumanloop_rs-") && built[0].contains("-cp310-abi3-"),
        "{}",
        built[0]
    );
    let probe = Command::new(&python)
        .args([
            "-c",
            "import sys, gohumanloop_rs._native as n; \
             print(sys.version_info[:2] >= (3, 10), n.__file__)",
        ])
        .output()
        .expect("the venv's Python runs");
    let said = String::from_utf8_lossy(&probe.stdout);
    assert!(
        probe.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let (new_enough, file) = said.trim().split_once(' ').unwrap_or_default();
    assert_eq!(new_enough, "True", "{said}");
    assert!(file.ends_with(".abi3.so"), "the extension is {file}");
}
