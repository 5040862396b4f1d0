//! `ghl serve`'s operations settings: `--db-pool-size`, `--db-statement-timeout`,
//! `--no-metrics`, `--otlp-endpoint` and their configuration keys (`db_pool_size`,
//! `db_statement_timeout`, `metrics`, `otlp_endpoint`), checked by `--check-config` and by real
//! `ghl serve` processes on loopback.

mod common;

use std::path::Path;

use common::{ghl, post_json, HubProcess};
use reqwest::StatusCode;
use serde_json::json;

fn write(dir: &Path, text: &str) -> String {
    let path = dir.join("ghl.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `ghl serve ARGS --check-config`: (exit code, stdout, stderr).
fn check(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["serve"];
    all.extend(args);
    all.push("--check-config");
    let out = ghl(&all, &[]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn serve_help_lists_the_operations_flags() {
    let out = ghl(&["serve", "--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for wanted in [
        "--db-pool-size <N>",
        "GHL_DB_POOL_SIZE",
        "--db-statement-timeout <DURATION>",
        "GHL_DB_STATEMENT_TIMEOUT",
        "--no-metrics",
        "GHL_NO_METRICS",
        "--otlp-endpoint <URL>",
        "GHL_OTLP_ENDPOINT",
        // TLS to PostgreSQL is set in the URL.
        "?sslmode=verify-full&sslrootcert=ca.pem",
    ] {
        assert!(help.contains(wanted), "{wanted}:\n{help}");
    }
}

#[test]
fn the_operations_keys_are_read_and_checked_like_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "db_pool_size = 20\ndb_statement_timeout = \"1500ms\"\nmetrics = false\n",
    );
    let (code, stdout, stderr) = check(&["--config", &file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("database pool 20 connection(s), statement time-out 1.5s, metrics off"),
        "{stdout}"
    );
    // The flags win over the file.
    let (code, stdout, stderr) = check(&[
        "--config",
        &file,
        "--db-pool-size",
        "5",
        "--db-statement-timeout",
        "2m",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("database pool 5 connection(s), statement time-out 120s, metrics off"),
        "{stdout}"
    );
    // A collector's base URL gets OTLP's path for traces.
    let file = write(
        dir.path(),
        "otlp_endpoint = \"http://otel.internal:4318\"\n",
    );
    let (code, stdout, stderr) = check(&["--config", &file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("traces to http://otel.internal:4318/v1/traces"),
        "{stdout}"
    );
    // `metrics = true` is the default: nothing to say.
    let file = write(dir.path(), "metrics = true\n");
    let (code, stdout, stderr) = check(&["--config", &file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("metrics off"), "{stdout}");

    // Every bad value is named, at once.
    let file = write(
        dir.path(),
        "db_pool_size = 1\ndb_statement_timeout = \"soon\"\nmetrics = \"no\"\n\
         otlp_endpoint = \"ftp://otel.internal\"\n",
    );
    let (code, _, stderr) = check(&["--config", &file]);
    assert_eq!(code, 3, "{stderr}");
    for wanted in [
        "db_pool_size: invalid value '1'",
        "db_statement_timeout: invalid value 'soon'",
        "metrics: must be true or false",
        "otlp_endpoint: invalid value 'ftp://otel.internal'",
    ] {
        assert!(stderr.contains(wanted), "{wanted}: {stderr}");
    }
    let (code, _, stderr) = check(&["--db-statement-timeout", "0s"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("must be longer than 0"), "{stderr}");
}

/// `GET path` on a running hub: the status and the body.
async fn get(base: &str, path: &str) -> (StatusCode, String) {
    let reply = reqwest::get(format!("{base}{path}")).await.unwrap();
    (reply.status(), reply.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_served_by_default_and_off_with_the_flag_or_the_key() {
    let hub = HubProcess::start();
    let (status, text) = get(&hub.base, "/metrics").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("\nghl_waiters 0\n"), "{text}");
    // A process of its own: its counts are exact.
    let key = hub.key("t", "agent");
    let body = json!({"task_id": "t", "conversation_id": "c", "request_id": "r",
                      "loop_type": "information", "context": {"message": "?"}, "platform": "p"});
    let created = post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &body,
    )
    .await;
    assert_eq!(created["success"], true, "{created}");
    let (_, text) = get(&hub.base, "/metrics").await;
    for line in [
        "ghl_requests_created_total{loop_type=\"information\",channel=\"api\"} 1",
        "# TYPE ghl_db_seconds histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}:\n{text}");
    }
    drop(hub);

    let off = HubProcess::start_with(&["--no-metrics"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "metrics = false\n");
    let off_by_file = HubProcess::start_with(&["--config", &file], &[]);
    for hub in [&off, &off_by_file] {
        let (status, body) = get(&hub.base, "/metrics").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        // The rest of the operators' routes are served as ever.
        let (status, body) = get(&hub.base, "/health").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = get(&hub.base, "/ready").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
