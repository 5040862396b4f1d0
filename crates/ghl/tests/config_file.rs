//! `ghl serve --config FILE`: the example file is valid, flags win over the file, every problem
//! of a bad file is reported at once (exit 3), secrets are never printed, and webhook
//! deliveries left pending by a SIGKILL are sent after a restart (checked by a receiver that
//! verifies with the reference implementation of Standard Webhooks).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{ghl, HubProcess, GHL};
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ghl.example.toml");
const RECEIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../gohumanloop-hub/tests/webhook/receiver.py"
);

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_example_file_is_valid() {
    let out = ghl(
        &["serve", "--config", EXAMPLE, "--check-config"],
        &[("GHL_WEBHOOK_OPS_SECRET", SECRET)],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 webhook channel(s)"), "{stdout}");
    assert!(
        stdout.contains("webhook 'ops': events to https://tools.example.com/ghl (1 secret(s), 10 retries, time-out 10s)"),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET) && !stdout.contains("MfKQ9r8"));
}

#[test]
fn every_problem_of_a_bad_file_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.toml",
        r#"
addr = "nowhere"
colour = "blue"
[email]
bogus = 1
[[webhook]]
name = "Ops!"
url = "ftp://x"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
retry = ["5 minutes"]
[[webhook]]
name = "b"
url = "https://example.com/x"
secret_env = "GHL_TEST_NOT_SET"
[[webhook]]
name = "b"
url = "https://example.com/y"
secret = "not-a-secret"
"#,
    );
    let out = ghl(&["serve", "--config", &file], &[]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        "addr: invalid value 'nowhere' for '--addr <ADDR>': invalid socket address syntax",
        "colour: no such setting",
        "email.bogus: no such setting",
        "webhook 'Ops!': name: 1 to 40 of a-z, 0-9 and '-' (it is part of the inbound path)",
        "webhook 'Ops!': url: an http:// or https:// address",
        "webhook 'Ops!': retry: '5 minutes': the unit is ms, s, m, h or d",
        "webhook 'b': secret_env: the environment variable GHL_TEST_NOT_SET is not set",
        "webhook 'b': secret: a webhook secret is written whsec_<base64>",
    ];
    assert_eq!(lines.len(), expected.len(), "{stderr}");
    for (line, want) in lines.iter().zip(expected) {
        assert_eq!(*line, format!("ghl: {file}: {want}"));
    }
    assert!(!stderr.contains("MfKQ9r8"), "a secret is never printed");
    let bad_toml = write(dir.path(), "broken.toml", "addr = [\n");
    let out = ghl(&["serve", "--config", &bad_toml], &[]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "ghl: {bad_toml}: not valid TOML: TOML parse error at line 1"
        )),
        "{stderr}"
    );
}

/// A hub started with the file's settings under its flags: `--addr` and `--db` win over the
/// file's (which could not work); the file's webhook and limits are in force; a secret given in
/// the file never reaches the log, even at `debug`.
#[tokio::test]
async fn flags_win_over_the_file_and_secrets_stay_out_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "ghl.toml",
        &format!(
            r#"
addr = "127.0.0.1:9"
db = "sqlite:///nonexistent/folder/ghl.db"
log_level = "debug"
[[webhook]]
name = "ops"
url = "http://127.0.0.1:9/unused"
secret = "{SECRET}"
"#
        ),
    );
    let db = format!("sqlite://{}", dir.path().join("ghl.db").display());
    let mut child = Command::new(GHL)
        .args([
            "serve",
            "--config",
            &file,
            "--addr",
            "127.0.0.1:0",
            "--db",
            &db,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let base = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("ghl serve starts");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        seen.push(line);
    };
    assert!(
        seen.iter()
            .any(|l| l.starts_with("Webhook channel 'ops': events to http://127.0.0.1:9/unused")),
        "{seen:?}"
    );
    // The webhook's inbound route is served: an unsigned decision is refused, not unknown.
    let refused = reqwest::Client::new()
        .post(format!("{base}/channels/webhook/ops/decisions"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(!log.contains("MfKQ9r8"), "the secret is not in the log");
    assert!(!seen.concat().contains("MfKQ9r8"));
}

/// The Python receiver (see `receiver.py`): its URL and its lines.
struct Receiver {
    child: Child,
    lines: mpsc::Receiver<Value>,
    url: String,
}

impl Receiver {
    fn start(python: &str, fail_first: u32) -> Self {
        let mut child = Command::new(python)
            .args([RECEIVER, SECRET, &fail_first.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(value);
                }
            }
        });
        let first = lines.recv_timeout(Duration::from_secs(20)).unwrap();
        let url = format!("http://127.0.0.1:{}/events", first["port"]);
        Self { child, lines, url }
    }

    fn next(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a POST within 30 s")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn webhook_file(dir: &Path, url: &str) -> String {
    write(
        dir,
        "ghl.toml",
        &format!(
            r#"
[[webhook]]
name = "ops"
url = "{url}"
secret_env = "GHL_TEST_WEBHOOK_SECRET"
retry = ["8s", "1h"]
"#
        ),
    )
}

#[tokio::test]
async fn deliveries_pending_at_a_sigkill_are_sent_after_the_restart() {
    let Some(python) = common::python() else {
        return;
    };
    let failing = Receiver::start(&python, 1_000_000);
    let mut hub = HubProcess::unstarted();
    let file = webhook_file(hub.path(), &failing.url);
    hub.set_extra(&["--config", &file], &[("GHL_TEST_WEBHOOK_SECRET", SECRET)]);
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");
    let mut ids = Vec::new();
    for n in 0..3 {
        let body = json!({"task_id": "t", "conversation_id": "c", "request_id": format!("r{n}"),
                          "loop_type": "approval", "context": {"message": "deploy?"},
                          "platform": "p", "metadata": {}});
        let reply = common::post_json(
            &format!("{}/api/v1/humanloop/request", hub.base),
            &key,
            &body,
        )
        .await;
        assert_eq!(reply["success"], true, "{reply}");
        let got = common::get_json(&format!("{}/api/v1/requests/r{n}", hub.base), &key).await;
        ids.push(got["request"]["id"].as_str().unwrap().to_owned());
    }
    // Every event was tried and refused (503) once before the kill, and that attempt was
    // recorded (read through a second handle on the database): nothing is in flight.
    let mut tried = std::collections::HashSet::new();
    while tried.len() < ids.len() {
        let event = failing.next();
        assert_eq!(
            (&event["verified"], &event["answered"]),
            (&json!(true), &json!(503))
        );
        tried.insert(event["request"].as_str().unwrap().to_owned());
    }
    let store = gohumanloop_hub::store::open(&hub.db_url()).await.unwrap();
    for id in &ids {
        let mut recorded = false;
        for _ in 0..200 {
            let deliveries = store.deliveries_of(id).await.unwrap();
            if deliveries.iter().any(|d| d.attempts == 1) {
                recorded = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(recorded, "the failed attempt on {id} was recorded");
    }
    drop(store);
    hub.kill();
    drop(failing);

    let healthy = Receiver::start(&python, 0);
    webhook_file(hub.path(), &healthy.url);
    hub.spawn("127.0.0.1:0");
    let mut delivered = std::collections::HashSet::new();
    while delivered.len() < ids.len() {
        let event = healthy.next();
        assert_eq!(
            (&event["verified"], &event["type"], &event["answered"]),
            (&json!(true), &json!("request.created"), &json!(204)),
            "{event}"
        );
        let id = event["request"].as_str().unwrap().to_owned();
        assert_eq!(
            event["id"],
            json!(format!("msg_{id}_created")),
            "the same id as before"
        );
        delivered.insert(id);
    }
    let want: std::collections::HashSet<String> = ids.into_iter().collect();
    assert_eq!(delivered, want);
}
