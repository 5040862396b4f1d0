//! Bad input gets a clear JSON error with the right status, and changes nothing already stored.

mod common;

use common::{create_body, TestHub};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn raw_post(t: &TestHub, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = t
        .http
        .post(format!("{}{path}", t.base))
        .bearer_auth(&t.keys.agent)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn bad_bodies_are_refused_clearly_and_nothing_stored_changes() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c", "r").await;
    let create = "/api/v1/humanloop/request";

    let (status, reply) = raw_post(&t, create, b"{\"task_id\": ".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON"),
        "{reply}"
    );

    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut wrong_type = create_body("c", "r");
    wrong_type["context"] = json!("not an object");
    cases.push((wrong_type, "invalid type"));
    let mut bad_loop = create_body("c", "r");
    bad_loop["loop_type"] = json!("poll");
    cases.push((bad_loop, "unknown variant"));
    let mut missing = create_body("c", "r");
    missing.as_object_mut().unwrap().remove("platform");
    cases.push((missing, "missing field `platform`"));
    let mut empty_id = create_body("c", "r");
    empty_id["request_id"] = json!("");
    cases.push((empty_id, "request_id must not be empty"));
    for (field, id) in [
        ("request_id", "   "),
        ("conversation_id", "\t"),
        ("platform", " \n "),
    ] {
        let mut blank = create_body("c", "r");
        blank[field] = json!(id);
        cases.push((blank, "must not be empty or blank"));
    }
    for (field, id) in [
        ("request_id", "r\u{7}"),
        ("conversation_id", "c\nX-Injected: yes"),
        ("platform", "p\u{1b}[31m"),
        ("request_id", "r\u{7f}"),
    ] {
        let mut control = create_body("c", "r");
        control[field] = json!(id);
        cases.push((control, "must not hold control characters"));
    }
    let mut long_id = create_body("c", "r");
    long_id["request_id"] = json!("x".repeat(300));
    cases.push((long_id, "longer than"));
    for timeout in [json!(-5), json!(1e12), json!("soon")] {
        let mut b = create_body("c", "r");
        b["timeout"] = timeout;
        cases.push((b, ""));
    }
    for timeout in [
        json!(-1),
        json!(99_999_999_999_u64),
        json!("1h"),
        json!([1]),
        json!(0.5),
        json!(0.999),
        json!(-0.0),
    ] {
        let mut b = create_body("c", "r");
        b["metadata"]["timeout"] = timeout;
        cases.push((b, "timeout"));
    }
    // PostgreSQL keeps no NUL in text or JSON: every store refuses it alike, by name. Checked
    // without the intake's check: on PostgreSQL a 503 (and the node reported itself unwritable
    // until its next write), on SQLite the request was taken.
    let mut nul = create_body("c", "r");
    nul["context"]["function"] = json!({"arguments": {"path": "a\u{0}b"}});
    cases.push((nul, "context must not hold the NUL character"));
    let mut nul_key = create_body("c", "r");
    nul_key["context"]["k\u{0}"] = json!(1);
    cases.push((nul_key, "context must not hold the NUL character"));
    let mut nul_metadata = create_body("c", "r");
    nul_metadata["metadata"]["tags"] = json!(["ok", "\u{0}"]);
    cases.push((nul_metadata, "metadata must not hold the NUL character"));
    for (body, expected) in cases {
        let (status, reply) = t.post(&t.keys.agent, create, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_eq!(reply["success"], false);
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains(expected),
            "'{error}' should mention '{expected}'"
        );
    }
    let health = t
        .http
        .get(format!("{}/health", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "bad input leaves the hub healthy"
    );

    let mut huge = create_body("c", "big");
    huge["context"]["message"] = json!("x".repeat(1_100_000));
    let (status, reply) = raw_post(&t, create, serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("larger than"),
        "{reply}"
    );

    for query in ["&wait=301", "&wait=-1", "&wait=soon"] {
        let (status, reply) = t.status(&t.keys.agent, "c", "r", query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {reply}");
    }
    let (status, reply) = t
        .get(&t.keys.agent, "/api/v1/humanloop/status?conversation_id=c")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");

    let (status, reply) = t
        .send(
            reqwest::Method::GET,
            None,
            "/api/v1/humanloop/request",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{reply}");
    let (status, reply) = t.get(&t.keys.agent, "/api/v2/anything").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{reply}");

    // The request stored before all of this is exactly as it was.
    let (_, got) = t.get(&t.keys.agent, "/api/v1/requests/r").await;
    assert_eq!(got["request"]["status"], "pending");
    assert_eq!(got["request"]["context"], create_body("c", "r")["context"]);
    assert_eq!(got["history"].as_array().unwrap().len(), 1);
    let (_, list) = t.get(&t.keys.agent, "/api/v1/requests").await;
    assert_eq!(list["count"], 1, "no bad input was stored");
    t.stop().await;
}

#[tokio::test]
async fn a_failing_writer_shows_in_health_and_clients_get_a_plain_503() {
    let t = TestHub::start().await;
    t.create(&t.keys.agent, "c", "r").await;
    let (status, health) = t.get(&t.keys.agent, "/health").await;
    assert_eq!((status, &health["status"]), (StatusCode::OK, &json!("ok")));

    // Another process breaks the database under the hub: every write now fails.
    common::execute_sql(&t.url, "DROP TABLE audit_log").await;

    let (status, reply) = t
        .post(
            &t.keys.agent,
            "/api/v1/humanloop/request",
            create_body("c", "r2"),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
    assert_eq!(reply["success"], false);
    let error = reply["error"].as_str().unwrap();
    assert_eq!(
        error,
        "the hub cannot use its database right now; try again later"
    );
    let (status, health) = t.get(&t.keys.agent, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(
        health["database"], "reachable",
        "it answers, it does not take writes"
    );
    assert!(
        !health.to_string().contains("audit_log"),
        "no database details: {health}"
    );
    let (status, ready) = t.get(&t.keys.agent, "/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["error"], "the node cannot write to its database");
    t.stop().await;
}

#[tokio::test]
async fn verify_finds_a_damaged_database() {
    use gohumanloop_hub::store::{self, StoreError};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    // Some pages of data, all in the main file.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE filler (x TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    for i in 0..2_000 {
        sqlx::query("INSERT INTO filler VALUES (?)")
            .bind(format!("{i:0>100}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let healthy = store::open(&url).await.unwrap();
    healthy.verify().await.expect("an intact database passes");
    drop(healthy);

    // The filler's pages (after the schema's) overwritten with garbage, the log emptied.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 20 * page, "{} bytes", bytes.len());
    for b in &mut bytes[2 * page..10 * page] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();

    let damaged = store::open(&url)
        .await
        .expect("the schema itself is intact");
    match damaged.verify().await {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("integrity check"), "{why}"),
        other => panic!("a damaged database must be reported: {other:?}"),
    }
}

#[tokio::test]
async fn a_path_that_is_not_utf8_gets_a_json_400() {
    let t = TestHub::start().await;
    for path in [
        "/api/v1/requests/%FF",
        "/api/v1/requests/%C3%28/audit",
        "/api/v1/humanloop/tasks/%FE",
    ] {
        let response = t
            .http
            .get(format!("{}{path}", t.base))
            .bearer_auth(&t.keys.alice)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(kind, "application/json", "{path}");
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply["success"], false);
        assert!(
            reply["error"].as_str().unwrap().starts_with("invalid path"),
            "{reply}"
        );
    }
    t.stop().await;
}
