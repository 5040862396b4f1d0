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
use gohumanloop_hub::channels::webhook::{signature, WebhookSecret};
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
        &[
            ("GHL_WEBHOOK_OPS_SECRET", SECRET),
            ("GHL_SLACK_BOT_TOKEN", "xoxb-example"),
            ("GHL_SLACK_SIGNING_SECRET", "slack-signing-secret-example"),
            ("GHL_FEISHU_APP_SECRET", "feishu-app-secret-example"),
            ("GHL_FEISHU_ENCRYPT_KEY", "feishu-encrypt-key-example"),
            ("GHL_FEISHU_VERIFICATION_TOKEN", "feishu-token-example"),
            ("GHL_WECOM_SECRET", "wecom-secret-example"),
            ("GHL_WECOM_TOKEN", "wecom-token-example"),
            (
                "GHL_WECOM_AES_KEY",
                "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            ),
        ],
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
    for line in [
        "1 approver(s)",
        "slack 'ops': API https://slack.com/api (1 route(s))",
        "feishu 'cn': app cli_a1b2c3d4e5f6, API https://open.feishu.cn (1 route(s))",
        "wecom 'corp': corp wwa1b2c3d4e5f6a7b8, agent 1000002, API https://qyapi.weixin.qq.com (1 route(s))",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    assert!(
        !stdout.contains("example\n") && !stdout.contains("secret-example"),
        "{stdout}"
    );
}

/// The file under the environment under the flags, key by key.
#[test]
fn the_environment_and_flags_win_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "ghl.toml",
        "addr = \"127.0.0.1:1111\"\ndb = \"sqlite://from-file.db\"\nsync = \"normal\"\n",
    );
    let summary = |args: &[&str], envs: &[(&str, &str)]| {
        let mut all = vec!["serve", "--config", file.as_str(), "--check-config"];
        all.extend(args);
        let out = ghl(&all, envs);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        stdout.lines().next().unwrap_or("").to_owned()
    };
    assert!(
        summary(&[], &[]).starts_with(
            "configuration OK: listen on 127.0.0.1:1111, database sqlite://from-file.db,"
        ),
        "the file alone"
    );
    let both = summary(
        &["--db", "sqlite://from-flag.db"],
        &[
            ("GHL_ADDR", "127.0.0.1:2222"),
            ("GHL_DB", "sqlite://from-env.db"),
        ],
    );
    assert!(
        both.starts_with(
            "configuration OK: listen on 127.0.0.1:2222, database sqlite://from-flag.db,"
        ),
        "{both}"
    );
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
[[webhook]]
name = "c"
url = "https://bot:hunter2@example.com/z"
secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2VjcmV0"]
timeout = "5 seconds"
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
        "webhook 'c': url: no user or password in it (the URL is printed; the signature authenticates the hub)",
        "webhook 'c': timeout: '5 seconds': the unit is ms, s, m, h or d",
        "webhook 'b': two webhooks have this name",
    ];
    assert_eq!(lines.len(), expected.len(), "{stderr}");
    for (line, want) in lines.iter().zip(expected) {
        assert_eq!(*line, format!("ghl: {file}: {want}"));
    }
    assert!(!stderr.contains("MfKQ9r8"), "a secret is never printed");
    assert!(!stderr.contains("hunter2"), "nor a password in a URL");

    // Not TOML: where and why, without the line (here an unclosed string holding a secret).
    let bad_toml = write(
        dir.path(),
        "broken.toml",
        "addr = \"127.0.0.1:8000\"\n[[webhook]]\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
    );
    let out = ghl(&["serve", "--config", &bad_toml], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "ghl: {bad_toml}: not valid TOML at line 3, column 49: invalid basic string, expected `\"`\n"
        )
    );
}

#[test]
fn every_problem_of_the_chat_tables_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "chat.toml",
        r#"
[[approver]]
name = "alice"
slack = 7
[[slack]]
name = "ops"
bot_token = "xoxb-very-secret"
colour = "red"
[[slack.route]]
platforms = "p"
[[feishu]]
name = "cn"
app_id = "cli_1"
app_secret = "feishu-very-secret"
encrypt_key_env = "GHL_TEST_NOT_SET"
verification_token = "t"
base_url = "ftp://open.feishu.cn"
[[wecom]]
name = "corp"
corp_id = "ww1"
agent_id = "x"
secret = "s"
token = "t"
encoding_aes_key = "too-short"
"#,
    );
    let out = ghl(&["serve", "--config", &file], &[]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        "approver 'alice': slack: a user id or a list of them",
        "slack 'ops': colour: no such setting",
        "slack 'ops': give signing_secret, signing_secret_env or signing_secret_file",
        "slack 'ops': route #1: to: whom its requests go to (a list of ids)",
        "feishu 'cn': encrypt_key_env: the environment variable GHL_TEST_NOT_SET is not set",
        "feishu 'cn': base_url: an http:// or https:// address",
        "feishu 'cn': no [[route]]: say where its requests go",
        "wecom 'corp': agent_id: the app's AgentId (a number)",
        "wecom 'corp': encoding_aes_key: 43 characters, as the console shows it",
        "wecom 'corp': no [[route]]: say where its requests go",
    ];
    assert_eq!(lines.len(), expected.len(), "{stderr}");
    for want in expected {
        assert!(
            lines.contains(&format!("ghl: {file}: {want}").as_str()),
            "{want}: {stderr}"
        );
    }
    assert!(!stderr.contains("very-secret"), "a secret is never printed");
}

/// A secret read from the environment (`secret_env`): "env-secret-for-the-log-test!".
const ENV_SECRET: &str = "whsec_ZW52LXNlY3JldC1mb3ItdGhlLWxvZy10ZXN0IQ==";
/// A secret read from a file (`secret_file`): "file-secret-for-the-log-test".
const FILE_SECRET: &str = "whsec_ZmlsZS1zZWNyZXQtZm9yLXRoZS1sb2ctdGVzdA==";

/// Whether `text` shows any of the secrets, encoded or decoded.
fn shows_a_secret(text: &str) -> bool {
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "ZW52LXNlY3JldC1mb3ItdGhlLWxvZy10ZXN0",
        "env-secret-for-the-log-test",
        "ZmlsZS1zZWNyZXQtZm9yLXRoZS1sb2ctdGVzdA",
        "file-secret-for-the-log-test",
    ]
    .iter()
    .any(|secret| text.contains(secret))
}

/// A POST a webhook receiver got: its path, headers (lower-case names) and body.
type Post = (String, Vec<(String, String)>, Vec<u8>);

/// A receiver of webhook POSTs on loopback: answers 204 and passes on each request's path,
/// headers (lower-case) and body.
fn webhook_receiver() -> (String, mpsc::Receiver<Post>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or("").to_owned();
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let Some((name, value)) = header.trim_end().split_once(':') else {
                    break;
                };
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length = headers
                .iter()
                .find(|(name, _)| name == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n",
            )
            .unwrap();
            let _ = tx.send((path, headers, body));
        }
    });
    (url, rx)
}

/// A hub started with the file's settings under its flags: `--addr` and `--db` win over the
/// file's (which could not work); the file's log level and webhooks are in force, each webhook
/// signing with its secret from the file, the environment or a secret file; none of the secrets
/// reaches stdout or the log, even at `debug`.
#[tokio::test]
async fn flags_win_over_the_file_and_secrets_stay_out_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, posts) = webhook_receiver();
    let secret_file = write(dir.path(), "ops.secret", &format!("{FILE_SECRET}\n"));
    let file = write(
        dir.path(),
        "ghl.toml",
        &format!(
            r#"
addr = "127.0.0.1:9"
db = "sqlite:///nonexistent/folder/ghl.db"
log_level = "debug"
[[webhook]]
name = "in-file"
url = "{receiver}/file"
secret = "{SECRET}"
[[webhook]]
name = "in-env"
url = "{receiver}/env"
secret_env = "GHL_TEST_WEBHOOK_LOG_SECRET"
[[webhook]]
name = "in-secret-file"
url = "{receiver}/secret-file"
secret_file = "{secret_file}"
"#
        ),
    );
    let db = format!("sqlite://{}", dir.path().join("ghl.db").display());
    let key = common::last_line(ghl(
        &[
            "keys", "create", "--db", &db, "--tenant", "a", "--name", "agent",
        ],
        &[],
    ));
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
        .env("GHL_TEST_WEBHOOK_LOG_SECRET", ENV_SECRET)
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
    for (name, path) in [
        ("in-file", "file"),
        ("in-env", "env"),
        ("in-secret-file", "secret-file"),
    ] {
        let announced = format!("Webhook channel '{name}': events to {receiver}/{path}");
        assert!(seen.iter().any(|l| l.starts_with(&announced)), "{seen:?}");
    }
    // The webhook's inbound route is served: an unsigned decision is refused, not unknown.
    let refused = reqwest::Client::new()
        .post(format!("{base}/channels/webhook/in-file/decisions"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);

    // A request goes out on every webhook, signed with that webhook's secret.
    let body = json!({"task_id": "t", "conversation_id": "c", "request_id": "r1",
                      "loop_type": "approval", "context": {"message": "deploy?"},
                      "platform": "p", "metadata": {}});
    let reply = common::post_json(&format!("{base}/api/v1/humanloop/request"), &key, &body).await;
    assert_eq!(reply["success"], true, "{reply}");
    let mut signed_with = std::collections::BTreeMap::new();
    while signed_with.len() < 3 {
        let (path, headers, body) = posts
            .recv_timeout(Duration::from_secs(20))
            .expect("an event on every webhook");
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let verifies = |secret: &str| {
            let secret: WebhookSecret = secret.parse().unwrap();
            signature::verify(
                &[secret],
                &header("webhook-id"),
                &header("webhook-timestamp"),
                &header("webhook-signature"),
                &body,
                gohumanloop_hub::record::now_ms() / 1000,
            )
            .is_ok()
        };
        let which = [SECRET, ENV_SECRET, FILE_SECRET]
            .into_iter()
            .position(verifies);
        signed_with.insert(path, which);
    }
    assert_eq!(
        signed_with.into_iter().collect::<Vec<_>>(),
        [
            ("/env".to_owned(), Some(1)),
            ("/file".to_owned(), Some(0)),
            ("/secret-file".to_owned(), Some(2)),
        ]
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains(" DEBUG "), "the file's log level is in force");
    assert!(!shows_a_secret(&log), "a secret is in the log");
    while let Ok(line) = rx.try_recv() {
        seen.push(line);
    }
    assert!(!shows_a_secret(&seen.join("\n")), "a secret is on stdout");
}

#[test]
fn a_file_that_cannot_be_read_is_named_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml").display().to_string();
    for (args, envs) in [
        (vec!["serve", "--config", missing.as_str()], vec![]),
        (vec!["serve"], vec![("GHL_CONFIG", missing.as_str())]),
    ] {
        let out = ghl(&args, &envs);
        assert_eq!(out.status.code(), Some(3));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "ghl: {missing}: cannot read the configuration file: "
            )),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "it did not start");
    }
}

#[test]
fn a_secret_env_that_is_not_set_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "ghl.toml",
        "[[webhook]]\nname = \"ops\"\nurl = \"https://example.com/hook\"\nsecret_env = \"GHL_TEST_UNSET_SECRET\"\n",
    );
    let out = ghl(&["serve", "--config", &file, "--check-config"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "ghl: {file}: webhook 'ops': secret_env: the environment variable GHL_TEST_UNSET_SECRET is not set\n"
        )
    );
    // Set, the same file is fine.
    let out = ghl(
        &["serve", "--config", &file, "--check-config"],
        &[("GHL_TEST_UNSET_SECRET", ENV_SECRET)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!shows_a_secret(&String::from_utf8_lossy(&out.stdout)));
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
        let what = format!("the failed attempt on {id} to be recorded");
        gohumanloop_testkit::until(&what, Duration::from_secs(60), || async {
            let deliveries = store.deliveries_of(id).await.unwrap();
            deliveries.iter().any(|d| d.attempts == 1).then_some(())
        })
        .await;
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
