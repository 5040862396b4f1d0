//! The benchmark checks itself: `ghl bench` against a fake hub on loopback that answers
//! `success:false`, HTTP 500, a page without (or with an unreadable) `Server-Timing`, no
//! `/metrics`, or a waiter's answer before the hub ever parked it, must exit non-zero naming the
//! call and the reply — and against a real `ghl serve` (tiny counts) must pass. The wrk scripts
//! (`scripts/bench/create.lua`, `status.lua`, through `scripts/bench/lib.sh`'s `wrk_run`) must
//! fail the same way on soft failures, 5xx and socket errors.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use gohumanloop_testkit::process::{ghl, last_line, listening_url};
use gohumanloop_testkit::skip;

/// What the fake hub gets wrong.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// A create is HTTP 200 with `success:false` (the original protocol's soft failure).
    CreateRefused,
    /// A create is HTTP 500.
    CreateFails,
    /// A status long-poll is HTTP 200 with `success:false` (an unknown request).
    StatusUnknown,
    /// A status long-poll answers `approved` at once, though the hub never counts it parked.
    AnsweredUnparked,
    /// No `/metrics` (as with `ghl serve --no-metrics`).
    NoMetrics,
    /// Inbox pages without `Server-Timing`.
    NoServerTiming,
    /// Inbox pages whose `Server-Timing` has no duration.
    UnreadableServerTiming,
}

const OK: &str = r#"{"success":true,"error":null}"#;

fn json(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_owned(),
    )
        .into_response()
}

/// The fake hub: just enough of the API, `/metrics` and the web inbox for `ghl bench`.
async fn fake(State(fault): State<Fault>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    match (method.as_str(), path) {
        ("POST", "/api/v1/humanloop/request") => match fault {
            Fault::CreateRefused => json(
                StatusCode::OK,
                r#"{"success":false,"error":"Request r-1 already exists in conversation c with different content"}"#,
            ),
            Fault::CreateFails => json(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"success":false,"error":"the database is on fire"}"#,
            ),
            _ => json(StatusCode::OK, OK),
        },
        ("GET", "/api/v1/humanloop/status") => match fault {
            Fault::StatusUnknown => json(
                StatusCode::OK,
                r#"{"success":false,"error":"Request not found: polled","status":"pending"}"#,
            ),
            _ => json(
                StatusCode::OK,
                r#"{"success":true,"status":"approved","response":null,"error":null}"#,
            ),
        },
        ("POST", p) if p.starts_with("/api/v1/requests/") => json(StatusCode::OK, OK),
        ("GET", "/metrics") => match fault {
            Fault::NoMetrics => (StatusCode::NOT_FOUND, "not found").into_response(),
            // A gauge that never counts the waiter the benchmark sends.
            Fault::StatusUnknown => "ghl_waiters 1\n".into_response(),
            _ => "# TYPE ghl_waiters gauge\nghl_waiters 0\n".into_response(),
        },
        ("GET", "/login") => (
            [(header::SET_COOKIE, "ghl_login=l; Path=/")],
            r#"<form><input name="csrf" value="token"></form>"#,
        )
            .into_response(),
        ("POST", "/login") => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/inbox"),
                (header::SET_COOKIE, "ghl_session=s; Path=/"),
            ],
        )
            .into_response(),
        ("GET", "/inbox") => {
            let page = "<html><body>no older page</body></html>";
            match fault {
                Fault::UnreadableServerTiming => {
                    ([("server-timing", "app;dur=soon")], page).into_response()
                }
                Fault::NoServerTiming => page.into_response(),
                _ => ([("server-timing", "app;dur=0.50")], page).into_response(),
            }
        }
        _ => json(
            StatusCode::NOT_FOUND,
            r#"{"success":false,"error":"no route"}"#,
        ),
    }
}

/// Serves the fake hub on a free loopback port for the rest of the test; its base URL.
async fn serve_fake(fault: Fault) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(fake).with_state(fault);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// `ghl bench ARGS` to completion (at most a minute: a hang fails the test, naming it).
async fn bench(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ghl"));
    command
        .arg("bench")
        .args(args)
        .env_remove("GHL_HUB")
        .env_remove("GHL_API_KEY")
        .env_remove("GHL_BENCH_SYNC_KEY")
        .env_remove("GHL_BENCH_PASSWORD")
        .envs(envs.iter().copied())
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("ghl bench ends within a minute")
        .expect("ghl bench runs")
}

/// Runs `ghl bench ARGS` against a fake hub with `fault`; asserts it fails (exit 3) and its
/// error names every piece of `wanted`.
async fn fails_naming(fault: Fault, args: &[&str], wanted: &[&str]) {
    let base = serve_fake(fault).await;
    let mut all = vec!["--hub", &base, "--key", "k"];
    all.extend(args);
    let out = bench(&all, &[("GHL_BENCH_PASSWORD", "p")]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "ghl bench must fail\nstdout: {stdout}\nstderr: {stderr}"
    );
    for piece in wanted {
        assert!(
            stderr.contains(piece),
            "the error names {piece:?}\nstdout: {stdout}\nstderr: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_create_answered_success_false_fails_the_bench() {
    fails_naming(
        Fault::CreateRefused,
        &["--samples", "1", "--waiters", "0"],
        &[
            "POST /api/v1/humanloop/request",
            "not success:true",
            "already exists in conversation c with different content",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_create_answered_500_fails_the_bench() {
    fails_naming(
        Fault::CreateFails,
        &["--samples", "0", "--waiters", "2"],
        &[
            "POST /api/v1/humanloop/request",
            "HTTP 500",
            "the database is on fire",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_status_answered_success_false_fails_the_bench() {
    fails_naming(
        Fault::StatusUnknown,
        &["--samples", "1", "--waiters", "0"],
        &[
            "GET /api/v1/humanloop/status?conversation_id=",
            "not success:true",
            "Request not found: polled",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_waiter_answered_before_the_hub_parked_it_fails_the_latency_part() {
    fails_naming(
        Fault::AnsweredUnparked,
        &["--samples", "1", "--waiters", "0"],
        &["returned before it was answered"],
    )
    .await;
}

#[tokio::test]
async fn waiters_answered_before_the_hub_parked_them_fail_the_memory_part() {
    fails_naming(
        Fault::AnsweredUnparked,
        &["--samples", "0", "--waiters", "3"],
        &["returned before it was answered"],
    )
    .await;
}

#[tokio::test]
async fn a_hub_without_metrics_fails_the_bench() {
    fails_naming(
        Fault::NoMetrics,
        &["--samples", "1", "--waiters", "0"],
        &["GET /metrics: HTTP 404", "ghl_waiters"],
    )
    .await;
}

#[tokio::test]
async fn an_inbox_page_without_server_timing_fails_the_bench() {
    fails_naming(
        Fault::NoServerTiming,
        &inbox_args(),
        &["GET /inbox", "without a Server-Timing header"],
    )
    .await;
}

#[tokio::test]
async fn an_unreadable_server_timing_fails_the_bench() {
    fails_naming(
        Fault::UnreadableServerTiming,
        &inbox_args(),
        &["GET /inbox", "without a duration", "app;dur=soon"],
    )
    .await;
}

fn inbox_args() -> [&'static str; 8] {
    [
        "--samples",
        "0",
        "--waiters",
        "0",
        "--inbox-requests",
        "4",
        "--inbox-samples",
        "1",
    ]
}

/// `ghl serve` on a fresh SQLite file, killed when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn every_part_passes_against_a_real_hub() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ghl.db").display());
    let key = last_line(ghl(
        &["keys", "create", "--db", &db, "--name", "bench"],
        &[],
    ));
    let sync_key = last_line(ghl(
        &[
            "keys", "create", "--db", &db, "--tenant", "uploads", "--name", "sync",
        ],
        &[],
    ));
    let password = last_line(ghl(
        &["users", "create", "--db", &db, "--role", "admin", "bench"],
        &[],
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghl"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            &db,
            "--log-level",
            "warn",
            "--sync",
            "normal",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = listening_url(&mut child);
    let hub = Serve { child, base };
    let pid = hub.child.id().to_string();
    let out = bench(
        &[
            "--hub",
            &hub.base,
            "--key",
            &key,
            "--samples",
            "5",
            "--provider-samples",
            "3",
            "--waiters",
            "50",
            "--hub-pid",
            &pid,
            "--inbox-requests",
            "12",
            "--inbox-user",
            "bench",
            "--inbox-samples",
            "2",
            "--sync-key",
            &sync_key,
            "--sync-uploads",
            "2",
            "--sync-conversations",
            "10",
        ],
        &[("GHL_BENCH_PASSWORD", &password)],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    for line in [
        "answer -> waiting agent: p50 ",
        "(5 samples)",
        "answer -> ApiProvider waiting call returns: p50 ",
        "waiters: 50 held at once (all parked at the hub after ",
        "50 woken by their answers",
        "hub memory (RSS): ",
        "MiB with 50 agents waiting",
        "inbox: 12 requests added (3 rejected)",
        "inbox first page (pending first): hub p50 ",
        "inbox search q=invoice (every request): hub p50 ",
        "task sync: 2 uploads of 10 new conversations",
        "another tenant's creates meanwhile: p50 ",
        "an unchanged re-send of 10 conversations",
    ] {
        assert!(
            stdout.contains(line),
            "{line:?} in\n{stdout}\nstderr: {stderr}"
        );
    }
    eprintln!(
        "the whole bench against a real hub took {:?}",
        started.elapsed()
    );
}

// The wrk scripts, through scripts/bench/lib.sh's wrk_run as the benchmark scripts use them.

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `wrk_run` with `script` against `url` for a second: (exit code, stdout, stderr); `None` (the
/// test skipped, saying so) where wrk is not installed.
async fn wrk_run(script: &str, url: &str) -> Option<(i32, String, String)> {
    let found = tokio::process::Command::new("wrk")
        .arg("--version")
        .output()
        .await
        .is_ok();
    if !found {
        skip::skip("wrk is not installed (scripts/bench/lib.sh's need_wrk installs it)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wrk.txt");
    let line = format!(
        ". scripts/bench/lib.sh && wrk_run 'the check' '{}' -t1 -c2 -d1s -s scripts/bench/{script} '{url}' -- k && echo 'passed the check'",
        out.display()
    );
    let mut command = tokio::process::Command::new("bash");
    command
        .args(["-c", &line])
        .current_dir(repository())
        .kill_on_drop(true);
    let run = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("wrk ends within 30 s")
        .expect("bash runs");
    Some((
        run.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&run.stdout).into_owned(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    ))
}

fn assert_failed(run: (i32, String, String), wanted: &[&str]) {
    let (code, stdout, stderr) = run;
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    assert!(!stdout.contains("passed the check"), "{stdout}");
    for piece in wanted {
        assert!(
            stderr.contains(piece),
            "{piece:?}\nstdout: {stdout}\nstderr: {stderr}"
        );
    }
}

#[tokio::test]
async fn wrk_creates_answered_success_false_fail_the_run() {
    let base = serve_fake(Fault::CreateRefused).await;
    let Some(run) = wrk_run("create.lua", &base).await else {
        return;
    };
    assert_failed(
        run,
        &[
            "bench: the check FAILED: 0 creates not 2xx, ",
            "without \"success\":true",
            "first failed reply: HTTP 200 {\"success\":false,\"error\":\"Request r-1 already exists",
        ],
    );
}

#[tokio::test]
async fn wrk_creates_answered_500_fail_the_run() {
    let base = serve_fake(Fault::CreateFails).await;
    let Some(run) = wrk_run("create.lua", &base).await else {
        return;
    };
    assert_failed(
        run,
        &[
            "creates not 2xx, 0 without",
            "first failed reply: HTTP 500 {\"success\":false,\"error\":\"the database is on fire\"}",
        ],
    );
}

#[tokio::test]
async fn wrk_status_checks_answered_success_false_fail_the_run() {
    let base = serve_fake(Fault::StatusUnknown).await;
    let url =
        format!("{base}/api/v1/humanloop/status?conversation_id=c&request_id=polled&platform=p");
    let Some(run) = wrk_run("status.lua", &url).await else {
        return;
    };
    assert_failed(
        run,
        &[
            "FAILED: 0 status checks not 2xx, ",
            "first failed reply: HTTP 200 {\"success\":false,\"error\":\"Request not found: polled\"",
        ],
    );
}

#[tokio::test]
async fn wrk_socket_errors_fail_the_run() {
    // A server that reads each request and hangs up without a reply: wrk's read errors.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                if socket.readable().await.is_ok() {
                    let _ = socket.try_read(&mut buf);
                }
            });
        }
    });
    let Some(run) = wrk_run("create.lua", &format!("http://{addr}")).await else {
        return;
    };
    assert_failed(
        run,
        &[
            "0 creates not 2xx, 0 without",
            "socket errors: connect 0, read ",
            "first failed reply: (none)",
        ],
    );
}

#[tokio::test]
async fn wrk_that_cannot_connect_fails_the_run() {
    // A port nothing listens on: wrk gives up at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(run) = wrk_run("create.lua", &format!("http://127.0.0.1:{port}")).await else {
        return;
    };
    assert_failed(run, &["wrk exited with status 1", "Connection refused"]);
}

#[tokio::test]
async fn wrk_passes_a_hub_whose_every_reply_succeeds() {
    let base = serve_fake(Fault::NoMetrics).await;
    let Some((code, stdout, stderr)) = wrk_run("create.lua", &base).await else {
        return;
    };
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("non-2xx 0, success:false 0, socket errors 0,")
            && stdout.contains("passed the check"),
        "{stdout}"
    );
}
