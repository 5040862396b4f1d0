//! The CLI contract against a real `ghl serve`: `ghl ask --hub` exit codes, `ghl inbox`,
//! `ghl respond`, `ghl keys` and `ghl audit verify`.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ghl, HubProcess, GHL};
use serde_json::Value;

struct Fixture {
    hub: HubProcess,
    agent: String,
    alice: String,
}

impl Fixture {
    fn new() -> Self {
        let hub = HubProcess::start();
        let agent = hub.key("a", "agent");
        let alice = hub.key("a", "alice");
        Self { hub, agent, alice }
    }

    fn ask(&self, args: &[&str]) -> Child {
        Command::new(GHL)
            .arg("ask")
            .args(args)
            .args(["--hub", &self.hub.base, "--key", &self.agent])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn as_alice(&self, args: &[&str]) -> Output {
        ghl(
            args,
            &[("GHL_HUB", &self.hub.base), ("GHL_API_KEY", &self.alice)],
        )
    }

    /// Waits (bounded) until `ghl inbox` shows one request; returns its request_id.
    fn waiting_request(&self) -> String {
        let limit = Duration::from_secs(60);
        gohumanloop_testkit::until_blocking("the question in the inbox", limit, || {
            let out = self.as_alice(&["inbox", "--json"]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let list: Value = serde_json::from_slice(&out.stdout).unwrap();
            list.as_array()
                .and_then(|l| l.first())
                .map(|first| first["request_id"].as_str().unwrap().to_owned())
        })
    }
}

fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn approve_reject_answer_and_converse_through_the_hub() {
    let f = Fixture::new();
    let cases: [(&str, &str, &[&str], i32, &str); 5] = [
        ("approval", "approve", &["looks fine"], 0, "looks fine"),
        (
            "approval",
            "reject",
            &["not on a friday"],
            1,
            "not on a friday",
        ),
        ("info", "answer", &["eu-west-1"], 0, "eu-west-1"),
        ("conversation", "reply", &["go on"], 0, "go on"),
        ("conversation", "complete", &["done"], 0, "done"),
    ];
    for (kind, action, text, code, printed) in cases {
        let ask = f.ask(&[kind, "May I?"]);
        let rid = f.waiting_request();
        let mut args = vec!["respond", rid.as_str(), action];
        args.extend_from_slice(text);
        let out = f.as_alice(&args);
        assert!(
            out.status.success(),
            "{action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (exit, stdout, stderr) = finish(ask);
        assert_eq!(
            (exit, stdout.as_str()),
            (code, printed),
            "{kind}/{action}: {stderr}"
        );
    }
}

#[test]
fn a_second_answer_loses_with_exit_code_1_and_names_the_winner() {
    let f = Fixture::new();
    let ask = f.ask(&["approval", "Deploy?", "--json"]);
    let rid = f.waiting_request();
    assert_eq!(
        f.as_alice(&["respond", &rid, "approve"]).status.code(),
        Some(0)
    );
    let late = f.as_alice(&["respond", &rid, "reject", "too late"]);
    assert_eq!(late.status.code(), Some(1));
    let message = String::from_utf8_lossy(&late.stderr);
    assert!(message.contains("already approved by alice"), "{message}");
    let (exit, stdout, _) = finish(ask);
    assert_eq!(exit, 0);
    let result: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["status"], "approved");
    assert_eq!(result["responded_by"], "alice");
    assert_eq!(result["request_id"], rid.as_str());
}

#[test]
fn the_hub_deadline_ends_ghl_ask_with_exit_code_2() {
    let f = Fixture::new();
    let (exit, _, stderr) = finish(f.ask(&["approval", "Anyone?", "--timeout", "1"]));
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("expired: Request timed out"), "{stderr}");
}

/// Errors exit with 3 (cli.md). A refusal ends `ghl ask` at once, while a hub out of reach is
/// retried "for up to 30 seconds of failures in a row" (cli.md) — neither less (a timer never
/// fires early) nor much more.
///
/// Checked by setting `PATIENCE` (`ghl/src/client.rs`) to 10 s: the unreachable hub's exit came
/// after 10.6 s and this failed.
#[test]
fn errors_exit_with_3() {
    let f = Fixture::new();
    let started = Instant::now();
    let bad_key = ghl(
        &[
            "ask",
            "approval",
            "x",
            "--hub",
            &f.hub.base,
            "--key",
            "wrong",
        ],
        &[],
    );
    assert_eq!(bad_key.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad_key.stderr).contains("Invalid or revoked API key"));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a refusal is not retried: {:?}",
        started.elapsed()
    );
    let nowhere = ghl(&["ask", "approval", "x"], &[]);
    assert_eq!(nowhere.status.code(), Some(3));
    let started = Instant::now();
    let unreachable = ghl(
        &[
            "ask",
            "info",
            "x",
            "--hub",
            "http://127.0.0.1:9",
            "--key",
            "k",
        ],
        &[],
    );
    let gave_up = started.elapsed();
    assert_eq!(unreachable.status.code(), Some(3));
    assert!(
        gave_up >= Duration::from_secs(30) && gave_up < Duration::from_secs(45),
        "retried for {gave_up:?}, documented 30 s"
    );
    let unknown = f.as_alice(&["respond", "no-such-request", "approve"]);
    assert_eq!(unknown.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Request not found"));
    let missing_text = f.as_alice(&["respond", "x", "answer"]);
    assert_eq!(missing_text.status.code(), Some(3));
}

#[test]
fn reject_needs_a_reason_and_is_refused_before_the_hub_is_called() {
    let f = Fixture::new();
    let ask = f.ask(&["approval", "Deploy?"]);
    let rid = f.waiting_request();
    for blank in [&[][..], &["  "][..]] {
        let mut args = vec!["respond", rid.as_str(), "reject"];
        args.extend_from_slice(blank);
        let out = f.as_alice(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("reject needs a reason"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    // Refused here: with no hub listening, the message is still the missing reason.
    let nowhere = ghl(
        &[
            "respond",
            &rid,
            "reject",
            "--hub",
            "http://127.0.0.1:9",
            "--key",
            "k",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&nowhere.stderr);
    assert_eq!(nowhere.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("reject needs a reason"), "{stderr}");
    // Nothing was recorded: the request still waits, and a reason rejects it.
    assert_eq!(f.waiting_request(), rid);
    let out = f.as_alice(&["respond", &rid, "reject", "too risky"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{rid} is now rejected\n")
    );
    let (exit, stdout, stderr) = finish(ask);
    assert_eq!((exit, stdout.as_str()), (1, "too risky"), "{stderr}");
}

#[test]
fn keys_list_revoke_and_audit_verify() {
    let f = Fixture::new();
    let db = f.hub.db_url();
    let list = ghl(&["keys", "list", "--db", &db], &[]);
    let table = String::from_utf8_lossy(&list.stdout);
    assert!(
        table.contains("alice") && table.contains("agent"),
        "{table}"
    );
    assert!(!table.contains(&f.alice), "the key itself is never listed");

    let empty = f.as_alice(&["inbox"]);
    assert!(empty.status.success());
    let revoke = ghl(&["keys", "revoke", "--db", &db, "2"], &[]);
    assert!(
        revoke.status.success(),
        "{}",
        String::from_utf8_lossy(&revoke.stderr)
    );
    // "Effective within 2 s": the hub may trust its last check of the key (made before the
    // revocation) for 2 s, never longer, so the first use from then on is refused. The event
    // awaited is those 2 s themselves. (Checked that it can fail: with the key cache's
    // lifetime at 3 s this assertion fails.)
    std::thread::sleep(Duration::from_secs(2));
    let refused = f.as_alice(&["inbox"]);
    assert_eq!(
        refused.status.code(),
        Some(3),
        "a revoked key still works 2 s after its revocation: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Invalid or revoked API key"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        ghl(&["keys", "revoke", "--db", &db, "2"], &[])
            .status
            .code(),
        Some(3)
    );

    let verify = ghl(&["audit", "verify", "--db", &db], &[]);
    assert!(verify.status.success());
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit log intact"));
}

#[test]
fn serve_tells_a_fresh_database_how_to_get_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let mut child = Command::new(GHL)
        .args(["serve", "--addr", "127.0.0.1:0", "--db", &db])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        // Up to the end of the hint's line: stderr may arrive in pieces.
        while !text.contains("--name NAME") {
            match std::io::Read::read(&mut stderr, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
        text
    });
    let start = Instant::now();
    while !reader.is_finished() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = reader.join().unwrap();
    assert!(
        text.contains(&format!("ghl keys create --db {db}")),
        "{text}"
    );
}

#[test]
fn inbox_waits_for_the_first_request_and_shows_one_id() {
    let f = Fixture::new();
    let inbox = Command::new(GHL)
        .args([
            "inbox",
            "--wait",
            "60",
            "--hub",
            &f.hub.base,
            "--key",
            &f.alice,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let asked = f.ask(&["approval", "Rotate the signing key?", "--timeout", "120"]);
    // The waiting inbox returns as soon as the question arrives (woken by the event stream).
    let (code, table, stderr) = finish(inbox);
    assert_eq!(code, 0, "{stderr}");
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["ID", "TYPE", "CREATED", "WHAT"], "one id column");
    let row = lines.next().expect("the request is listed");
    assert!(row.contains("Rotate the signing key?"), "{row}");

    let listed: Value = serde_json::from_slice(&f.as_alice(&["inbox", "--json"]).stdout).unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert!(row.starts_with(&id), "the column is the hub's id: {row}");
    let quiet = f.as_alice(&["inbox", "-q"]);
    assert_eq!(String::from_utf8_lossy(&quiet.stdout), format!("{id}\n"));

    let answered = f.as_alice(&["respond", &id, "approve", "rotated"]);
    assert!(answered.status.success());
    let (code, answer, _) = finish(asked);
    assert_eq!((code, answer.as_str()), (0, "rotated"));
}

#[test]
fn inbox_wait_ends_at_its_deadline_when_nothing_comes() {
    let f = Fixture::new();
    let out = f.as_alice(&["inbox", "--wait", "1"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing waits for a human"));
    let refused = ghl(
        &[
            "inbox",
            "--wait",
            "5",
            "--hub",
            &f.hub.base,
            "--key",
            "wrong",
        ],
        &[],
    );
    assert_eq!(
        refused.status.code(),
        Some(3),
        "a bad key is not waited out"
    );
}

#[test]
fn ask_and_inbox_ride_out_a_hub_that_is_still_starting() {
    let mut hub = HubProcess::unstarted();
    let key = hub.key("a", "agent");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let spawn = |args: &[&str]| {
        Command::new(GHL)
            .args(args)
            .args(["--hub", &url, "--key", &key])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let asked = spawn(&["ask", "approval", "Ship it?", "--timeout", "120"]);
    let inbox = spawn(&["inbox", "--wait", "60", "-q"]);
    // Nothing listens yet: both keep trying until the hub is up.
    hub.spawn(&format!("127.0.0.1:{port}"));
    let (code, id, stderr) = finish(inbox);
    assert_eq!(code, 0, "{stderr}");
    assert!(!id.is_empty(), "the question reached the inbox");
    let answered = ghl(
        &["respond", &id, "approve", "--hub", &url, "--key", &key],
        &[],
    );
    assert!(
        answered.status.success(),
        "{}",
        String::from_utf8_lossy(&answered.stderr)
    );
    let (code, _, stderr) = finish(asked);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn serve_logs_in_colour_only_to_a_terminal_without_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("log.db").display());
    let serve = ["serve", "--addr", "127.0.0.1:0", "--db", &db];

    // To a file: plain text.
    let logged = LoggedServe::start(&db);
    let text = logged.stop();
    assert!(text.contains("shutting down"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes in a file: {text:?}"
    );

    // To a terminal: colour, unless NO_COLOR is set.
    let on_terminal = |no_color: Option<&str>| {
        let mut command = Command::new(GHL);
        command.args(serve);
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        let mut p = rexpect::session::spawn_command(command, Some(20_000)).unwrap();
        p.exp_string("listening on").unwrap();
        p.process_mut()
            .signal(rexpect::process::Signal::SIGTERM)
            .unwrap();
        p.exp_string("shutting down").unwrap()
    };
    let coloured = on_terminal(None);
    assert!(coloured.contains('\u{1b}'), "{coloured:?}");
    let plain = on_terminal(Some("1"));
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}

#[test]
fn an_untrusted_name_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("log.db").display());
    let logged = LoggedServe::start(&db);
    let base = logged.base.clone();

    // A sign-in whose name carries a forged log line, a terminal escape and a bell.
    let forged = "mallory\n2026-01-01T00:00:00Z  INFO ghl: admin signed in\u{1b}[2J\u{7}";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = http.get(format!("{base}/login")).send().await.unwrap();
        let cookies: Vec<String> = form
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect();
        let page = form.text().await.unwrap();
        let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = page[start..].split('"').next().unwrap().to_owned();
        let refused = http
            .post(format!("{base}/login"))
            .header("cookie", cookies.join("; "))
            .form(&[("name", forged), ("password", "wrong"), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    });
    let text = logged.stop();
    assert!(
        text.contains(
            r#"name="mallory\n2026-01-01T00:00:00Z  INFO ghl: admin signed in\u{1b}[2J\u{7}""#
        ),
        "the name is logged escaped, on the failed sign-in's line: {text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("2026-01-01T00:00:00Z")),
        "no forged line: {text}"
    );
    assert!(
        !text.contains(['\u{1b}', '\u{7}']),
        "no raw control characters: {text:?}"
    );
}

#[test]
fn a_damaged_or_read_only_database_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let db = format!("sqlite://{}", path.display());
    // A database with some content: keys, and pages of requests' indexes.
    for name in ["a", "b", "c"] {
        assert!(ghl(&["keys", "create", "--db", &db, "--name", name], &[])
            .status
            .success());
    }
    let serve = |db: &str| {
        Command::new(GHL)
            .args(["serve", "--addr", "127.0.0.1:0", "--db", db])
            .output()
            .unwrap()
    };

    // Read-only: a file the hub may not write (root writes any file: the immutable attribute
    // stops it too).
    let is_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let lock = |on: bool| {
        if is_root {
            let flag = if on { "+i" } else { "-i" };
            Command::new("chattr").arg(flag).arg(&path).status()
        } else {
            let mode = if on { "0444" } else { "0644" };
            Command::new("chmod").arg(mode).arg(&path).status()
        }
    };
    assert!(
        lock(true).unwrap().success(),
        "cannot make the file read-only"
    );
    let read_only = serve(&db);
    assert!(lock(false).unwrap().success());
    let stderr = String::from_utf8_lossy(&read_only.stderr);
    assert_eq!(read_only.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot be written"), "{stderr}");
    assert!(!String::from_utf8_lossy(&read_only.stdout).contains("listening on"));

    // Not a database at all (the store's own check of a damaged file is tested in the hub's
    // bad_input tests).
    std::fs::write(&path, vec![0xA5_u8; 64 * 1024]).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let damaged = serve(&db);
    let stderr = String::from_utf8_lossy(&damaged.stderr);
    assert_eq!(damaged.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!String::from_utf8_lossy(&damaged.stdout).contains("listening on"));
}

/// `ghl serve` with its log (stderr) written to a file, as under a service manager.
struct LoggedServe {
    dir: tempfile::TempDir,
    child: Child,
    /// Kept open while the hub runs, as a service manager keeps its stdout.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    base: String,
}

impl LoggedServe {
    /// Starts it on `db` and waits for its `listening on` line (NO_COLOR unset).
    fn start(db: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
        let mut child = Command::new(GHL)
            .args(["serve", "--addr", "127.0.0.1:0", "--db", db])
            .env_remove("NO_COLOR")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("listening on ") {
            line.clear();
            assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0);
        }
        let base = line.split("listening on ").nth(1).unwrap();
        let base = base.split_whitespace().next().unwrap().to_owned();
        Self {
            dir,
            child,
            _stdout: stdout,
            base,
        }
    }

    /// SIGTERM; the hub must exit cleanly. Returns its whole log.
    fn stop(mut self) -> String {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        assert!(self.child.wait().unwrap().success());
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap()
    }
}

/// Edits `sql` into the (stopped) hub's database.
fn tamper(hub: &HubProcess, sql: &'static str) {
    let url = hub.db_url();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async move {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let changed = sqlx::query(sql).execute(&mut conn).await.unwrap();
            assert_eq!(changed.rows_affected(), 1, "{sql}");
            conn.close().await.unwrap();
        });
}

/// Copies the database files (`ghl.db`, its WAL and shared memory: a killed hub leaves its last
/// commits in the WAL) from `from` to `to`, replacing those there.
fn copy_database(from: &std::path::Path, to: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("ghl.db{suffix}");
        let _ = std::fs::remove_file(to.join(&name));
        if from.join(&name).exists() {
            std::fs::copy(from.join(&name), to.join(&name)).unwrap();
        }
    }
}

/// `ghl audit verify` on `hub`'s database: its exit code and stdout.
fn verify(hub: &HubProcess) -> (Option<i32>, String) {
    let out = ghl(&["audit", "verify", "--db", &hub.db_url()], &[]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

#[test]
fn audit_verify_exits_1_at_the_first_entry_that_was_edited_or_removed() {
    let f = Fixture::new();
    for answer in ["approve", "reject"] {
        let ask = f.ask(&["approval", "Ship it?", "--timeout", "60"]);
        let rid = f.waiting_request();
        let mut args = vec!["respond", rid.as_str(), answer];
        if answer == "reject" {
            args.push("no");
        }
        assert!(f.as_alice(&args).status.success());
        finish(ask);
    }
    let mut hub = f.hub;
    hub.kill();
    let (code, report) = verify(&hub);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("audit log intact"), "{report}");

    // An entry's content changed: the chain breaks at it.
    let saved = tempfile::tempdir().unwrap();
    copy_database(hub.path(), saved.path());
    tamper(&hub, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    let (code, report) = verify(&hub);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report,
        "audit log BROKEN at entry 2: its content does not match its hash"
    );

    // An entry removed (the database as it was before the edit): the next one no longer links.
    copy_database(saved.path(), hub.path());
    assert_eq!(verify(&hub).0, Some(0));
    tamper(&hub, "DELETE FROM audit_log WHERE seq = 2");
    let (code, report) = verify(&hub);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.starts_with("audit log BROKEN at entry 3"),
        "{report}"
    );
}

/// The hub's `ghl_waiters` gauge (agents long-polling on it), from `/metrics`.
fn waiters(base: &str) -> Option<u64> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(common::parked_waiters(base))
}

#[test]
fn ask_rides_out_a_hub_restart_while_it_waits() {
    let mut f = Fixture::new();
    let ask = f.ask(&["approval", "Ship it?", "--timeout", "120"]);
    let rid = f.waiting_request();
    // Killed while `ghl ask` is parked in its long-poll.
    gohumanloop_testkit::until_blocking(
        "ghl ask waiting on the hub",
        Duration::from_secs(60),
        || (waiters(&f.hub.base)? >= 1).then_some(()),
    );
    let addr = f.hub.addr();
    f.hub.kill();
    f.hub.spawn(&addr);
    let out = f.as_alice(&["respond", &rid, "approve"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, _, stderr) = finish(ask);
    assert_eq!(code, 0, "approved after the restart: {stderr}");
}
