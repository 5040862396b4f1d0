//! The Python package `gohumanloop_rs` (PyO3, built by `scripts/test.sh` into the test venvs)
//! with the real `langgraph`, `langchain` and `crewai` packages against a real `ghl serve`: the
//! scenarios in `crates/gohumanloop-py/tests/*.py` and the examples in
//! `crates/gohumanloop-py/examples/`, each run as its own Python process.
//!
//! Skipped when `GHL_TEST_PYTHON` (LangGraph) or `GHL_TEST_CREWAI_PYTHON` (CrewAI, a venv of its
//! own: its pins clash with the MCP SDK's) lacks the packages — which fails `scripts/test.sh`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{get_json, post_json, HubProcess};
use gohumanloop_testkit::{until, until_blocking};
use serde_json::{json, Value};

const PACKAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../gohumanloop-py");

/// The LangGraph venv's Python, if it has the package and LangGraph.
fn langgraph_python() -> Option<String> {
    common::python_importing(common::python(), "gohumanloop_rs, langgraph, langchain")
}

/// The CrewAI venv's Python, if it has the package and CrewAI.
fn crewai_python() -> Option<String> {
    common::python_importing(
        std::env::var("GHL_TEST_CREWAI_PYTHON").ok(),
        "gohumanloop_rs, crewai",
    )
}

struct Setup {
    python: String,
    hub: HubProcess,
    agent: String,
    approver: String,
}

impl Setup {
    /// A hub and the LangGraph venv.
    fn start() -> Option<Self> {
        langgraph_python().map(Self::with)
    }

    /// A hub and the CrewAI venv.
    fn crewai() -> Option<Self> {
        crewai_python().map(Self::with)
    }

    fn with(python: String) -> Self {
        let hub = HubProcess::start();
        let agent = hub.key("a", "agent");
        let approver = hub.key("a", "alice");
        Self {
            python,
            hub,
            agent,
            approver,
        }
    }

    fn command(&self, dir: &str, script: &str) -> Command {
        let mut command = Command::new(&self.python);
        command
            .current_dir(PathBuf::from(PACKAGE).join(dir))
            .arg(script)
            .env("HUB", &self.hub.base)
            .env("AGENT_KEY", &self.agent)
            .env("APPROVER_KEY", &self.approver)
            .env("GOHUMANLOOP_API_BASE_URL", format!("{}/api", self.hub.base))
            .env("GOHUMANLOOP_API_KEY", &self.agent)
            .env("CHECKPOINTS", self.hub.path().join("checkpoints.db"))
            .env("FLOWS_DB", self.hub.path().join("flows.db"))
            .env("RUN_LOG", self.hub.path().join("runs.log"))
            // CrewAI's telemetry and tracing would try the network.
            .env("CREWAI_DISABLE_TELEMETRY", "true")
            .env("CREWAI_TRACING_ENABLED", "false")
            .env("OTEL_SDK_DISABLED", "true")
            .env_remove("GOHUMANLOOP_EMAIL_USERNAME")
            .env_remove("GOHUMANLOOP_EMAIL_PASSWORD");
        command
    }

    /// Runs one scenario of `tests/SCRIPT`; asserts it printed `ok NAME`.
    fn scenario(&self, script: &str, name: &str, envs: &[(&str, &str)]) {
        let out = self
            .command("tests", script)
            .arg(name)
            .envs(envs.iter().copied())
            .output()
            .expect("python runs");
        expect_ok(&out, name);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hub.base)
    }

    /// Waits for the one pending request and decides it through the answering API
    /// (`action` with `body`); returns the request as it was asked.
    async fn decide_the_pending(&self, action: &str, body: Value) -> Value {
        let request = self.pending(1).await.remove(0);
        let id = request["id"].as_str().unwrap();
        let reply = post_json(
            &self.url(&format!("/api/v1/requests/{id}/{action}")),
            &self.approver,
            &body,
        )
        .await;
        assert_eq!(reply["success"], true, "{reply}");
        request
    }

    /// Runs `script`'s scenario `name` in a new process, which must resume the interrupt, then
    /// again with `EXPECT=nothing`, which must find nothing to do; returns the run log.
    fn resume_twice(&self, script: &str, name: &str) -> String {
        self.scenario(script, name, &[]);
        let again = self
            .command("tests", script)
            .arg(name)
            .env("EXPECT", "nothing")
            .output()
            .expect("python runs");
        expect_ok(&again, "resume_again_does_nothing");
        std::fs::read_to_string(self.hub.path().join("runs.log")).unwrap()
    }

    /// The pending requests once there are `count` (bounded wait).
    async fn pending(&self, count: usize) -> Vec<Value> {
        let what = format!("{count} pending request(s)");
        let page = until(&what, Duration::from_secs(60), || async {
            let page = get_json(&self.url("/api/v1/requests?status=pending"), &self.approver).await;
            let found = page["requests"].as_array().map_or(0, Vec::len);
            (found >= count).then_some(page)
        })
        .await;
        let found = page["requests"].as_array().cloned().unwrap_or_default();
        assert_eq!(found.len(), count, "{page}");
        found
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

macro_rules! scenarios {
    ($start:ident, $script:literal: $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Some(setup) = Setup::$start() {
                    setup.scenario($script, stringify!($name), &[]);
                }
            }
        )*
    };
}

scenarios!(start, "manager_scenarios.py":
    manager_blocking_and_async,
    guards_approval_information_conversation,
    errors_are_python_exceptions_with_the_rust_message,
    stubs_match_the_native_module,
);

scenarios!(start, "langgraph_scenarios.py":
    approval_with_edited_arguments,
    rejection_raises_in_the_node,
    expired_is_not_rejected,
    information_and_a_two_turn_conversation,
    several_graphs_interrupted_at_once,
);

scenarios!(start, "hitl_scenarios.py":
    batched_edit_reject_respond,
    per_call_edit_reject_respond,
    expired_tool_call_is_not_rejected,
    agent_inbox_schema,
);

scenarios!(crewai, "crewai_scenarios.py":
    expired_feedback_is_not_a_rejection,
    tool_approved_with_edited_arguments,
    tool_rejected_does_not_run,
    tool_expired_is_not_rejected,
);

#[tokio::test]
async fn an_interrupt_is_resumed_by_a_second_process_once() {
    let Some(setup) = Setup::start() else {
        return;
    };
    setup.scenario("langgraph_scenarios.py", "interrupt_then_exit", &[]);
    setup
        .decide_the_pending("approve", json!({"reason": "go"}))
        .await;
    let runs = setup.resume_twice("langgraph_scenarios.py", "resume_in_a_new_process");
    assert_eq!(runs, "100 acme\n", "the approved call ran exactly once");
}

#[tokio::test]
async fn a_crewai_flow_is_resumed_after_a_restart_once() {
    let Some(setup) = Setup::crewai() else {
        return;
    };
    setup.scenario("crewai_scenarios.py", "flow_pauses", &[]);
    setup
        .decide_the_pending("answer", json!({"text": "Ship it, with a benchmark."}))
        .await;
    let runs = setup.resume_twice("crewai_scenarios.py", "flow_resumes_in_a_new_process");
    assert_eq!(
        runs, "published with: Ship it, with a benchmark.\n",
        "the flow went on exactly once, with the human's answer"
    );
}

/// Spawns an example; its stdout lines arrive on the returned channel.
fn spawn_example(
    setup: &Setup,
    script: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = setup
        .command("examples", script)
        .env("WAIT_SECONDS", "60")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// The example's remaining output once it exited (bounded).
fn finish(mut child: std::process::Child, rx: std::sync::mpsc::Receiver<String>) -> String {
    let status = until_blocking("the example to finish", Duration::from_secs(120), || {
        child.try_wait().unwrap()
    });
    assert!(status.success(), "the example failed: {status}");
    rx.try_iter().collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn the_seed_readme_example_runs_with_its_import_line_changed() {
    let Some(setup) = Setup::start() else {
        return;
    };
    let (child, rx) = spawn_example(&setup, "langgraph_seed.py");
    let request = setup
        .decide_the_pending(
            "answer",
            json!({"text": "Use LangGraph: it is reliable and extensible."}),
        )
        .await;
    assert_eq!(request["loop_type"], "information");
    assert!(
        request["context"]["message"]
            .as_str()
            .unwrap()
            .contains("What should I use to build an AI agent?"),
        "{request}"
    );
    let output = tokio::task::spawn_blocking(move || finish(child, rx))
        .await
        .unwrap();
    assert!(
        output.contains("Use LangGraph: it is reliable and extensible."),
        "the tool returned the human's answer:\n{output}"
    );
    assert!(output.contains("Thanks! I'll follow the expert's advice."));
}

#[tokio::test]
async fn the_langchain_example_is_answered_in_the_web_inbox() {
    let Some(setup) = Setup::start() else {
        return;
    };
    let password = setup.hub.user("alice", "approver", &["a"]);
    let (child, rx) = spawn_example(&setup, "langchain_hitl_inbox.py");
    let pending = setup.pending(2).await;
    let by_tool = |name: &str| {
        pending
            .iter()
            .find(|r| r["context"]["function"]["function_name"] == name)
            .and_then(|r| r["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (delete, invoice) = (by_tool("delete_records"), by_tool("send_invoice"));
    // A person in the inbox: rejects the deletion, approves the invoice with a smaller amount.
    let script = format!(
        "import support\n\
         inbox = support.Inbox('alice', {password:?})\n\
         inbox.decide({delete:?}, 'reject', reason='keep a month of events')\n\
         inbox.decide({invoice:?}, 'approve', reason='', \
           arguments='{{\"customer\": \"ACME\", \"amount\": 1000}}')\n\
         support.ok('inbox')\n"
    );
    let out = setup.command("tests", "-c").arg(&script).output().unwrap();
    expect_ok(&out, "inbox");
    let output = tokio::task::spawn_blocking(move || finish(child, rx))
        .await
        .unwrap();
    assert!(
        output.contains("send_invoice: invoiced ACME 1000"),
        "{output}"
    );
    assert!(
        output.contains("delete_records:") && output.contains("keep a month of events"),
        "{output}"
    );
    let audit = get_json(
        &setup.url(&format!("/api/v1/requests/{invoice}")),
        &setup.approver,
    )
    .await;
    assert_eq!(audit["request"]["responded_by"], "alice", "{audit}");
}

#[tokio::test]
async fn the_crewai_example_resumes_with_the_reviewers_answer() {
    let Some(setup) = Setup::crewai() else {
        return;
    };
    let (child, rx) = spawn_example(&setup, "crewai_feedback.py");
    let request = setup
        .decide_the_pending("answer", json!({"text": "Say which benchmark."}))
        .await;
    assert_eq!(
        request["context"]["additional"], "v0.2: the hub answers 10x faster.",
        "{request}"
    );
    let output = tokio::task::spawn_blocking(move || finish(child, rx))
        .await
        .unwrap();
    assert!(
        output.contains(
            "Published: v0.2: the hub answers 10x faster. (reviewer said: Say which benchmark.)"
        ),
        "{output}"
    );
}

#[test]
fn the_seed_readme_example_asks_on_the_terminal_without_a_hub() {
    let Some(setup) = Setup::start() else {
        return;
    };
    let mut child = setup
        .command("examples", "langgraph_seed.py")
        .env_remove("GOHUMANLOOP_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The terminal provider reads the answer from stdin when it asks.
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"Try LangGraph\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("What should I use to build an AI agent?"),
        "the question was shown on the terminal:\n{stdout}"
    );
    assert!(stdout.contains("Try LangGraph"), "{stdout}");
    assert!(
        stdout.contains("Thanks! I'll follow the expert's advice."),
        "{stdout}"
    );
}
