//! `tasks/sync` under load and at its limits: concurrent uploads of one task lose nothing, an
//! unchanged re-send keeps the snapshot, uploads past the limits are refused with the stored
//! snapshot untouched, and snapshots stored before the hub kept them in parts still read back.

mod common;

use common::TestHub;
use gohumanloop_hub::store;
use gohumanloop_hub::tasks::{MAX_CONVERSATIONS, MAX_SNAPSHOT_BYTES};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SYNC: &str = "/api/v1/humanloop/tasks/sync";

fn upload(task: &str, conversations: Value, timestamp: &str) -> Value {
    json!({
        "task_id": task,
        "conversations": conversations,
        "timestamp": timestamp,
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
    })
}

fn conversation(id: &str, requests: usize) -> Value {
    let requests: Vec<Value> = (0..requests)
        .map(|i| json!({"request_id": format!("{id}-r{i}"), "status": "pending", "loop_type": "approval", "response": {}}))
        .collect();
    json!({"conversation_id": id, "provider_id": "p", "requests": requests})
}

async fn stored(t: &TestHub, task: &str) -> Value {
    let (status, reply) = t
        .get(&t.keys.agent, &format!("/api/v1/humanloop/tasks/{task}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    reply["task"].clone()
}

#[tokio::test]
async fn concurrent_uploads_of_one_task_lose_nothing() {
    let hub = TestHub::start().await;
    let t = &hub;
    let uploads = (0..12).map(|i| {
        let body = upload(
            "t",
            json!([conversation(&format!("c{i}"), 2)]),
            "2025-08-25T10:00:00",
        );
        async move { t.post(&t.keys.agent, SYNC, body).await }
    });
    for (status, reply) in futures_util::future::join_all(uploads).await {
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    let task = stored(t, "t").await;
    assert_eq!(task["updates"], 12);
    let mut ids: Vec<String> = task["data"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected, "every upload's conversation is kept");
    hub.stop().await;
}

#[tokio::test]
async fn an_unchanged_re_send_keeps_the_snapshot_and_takes_the_new_timestamp() {
    let t = TestHub::start().await;
    let conversations = json!([conversation("c1", 3)]);
    t.post(
        &t.keys.agent,
        SYNC,
        upload("t", conversations.clone(), "2025-08-25T10:00:00"),
    )
    .await;
    let first = stored(&t, "t").await;
    let (status, reply) = t
        .post(
            &t.keys.agent,
            SYNC,
            upload("t", conversations.clone(), "2025-08-25T11:00:00"),
        )
        .await;
    assert_eq!(
        (status, &reply["data"]["updated"]),
        (StatusCode::CREATED, &json!(true))
    );
    let second = stored(&t, "t").await;
    assert_eq!(second["updates"], 2);
    assert_eq!(second["data"]["timestamp"], "2025-08-25T11:00:00");
    assert_eq!(
        second["data"]["conversations"],
        first["data"]["conversations"]
    );
    assert_eq!(second["data"]["metadata"], first["data"]["metadata"]);
    t.stop().await;
}

#[tokio::test]
async fn uploads_past_the_limits_are_refused_and_the_snapshot_is_untouched() {
    let t = TestHub::start().await;
    t.post(
        &t.keys.agent,
        SYNC,
        upload("t", json!([conversation("keep", 1)]), "2025-08-25T10:00:00"),
    )
    .await;
    let before = stored(&t, "t").await;
    // The limits README and hub.md give (the uploads below are built from the constants).
    assert_eq!(
        (MAX_CONVERSATIONS, MAX_SNAPSHOT_BYTES),
        (10_000, 2 * 1024 * 1024)
    );
    // More conversations than a task holds, in one upload under the body limit.
    let many: Vec<Value> = (0..MAX_CONVERSATIONS)
        .map(|i| json!({"conversation_id": format!("{i}"), "requests": []}))
        .collect();
    let (status, reply) = t
        .post(
            &t.keys.agent,
            SYNC,
            upload("t", Value::Array(many), "2025-08-25T11:00:00"),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("at most"),
        "{reply}"
    );
    // Uploads that each fit but together pass the size limit.
    let big = |id: &str| {
        json!([{"conversation_id": id, "provider_id": "p", "requests": [{
            "request_id": id, "status": "approved", "loop_type": "approval",
            "response": {"text": "x".repeat(MAX_SNAPSHOT_BYTES / 3)}}]}])
    };
    let mut refused = None;
    for id in ["a", "b", "c", "d"] {
        let (status, reply) = t
            .post(
                &t.keys.agent,
                SYNC,
                upload("t", big(id), "2025-08-25T12:00:00"),
            )
            .await;
        if status != StatusCode::CREATED {
            refused = Some((id, status, reply));
            break;
        }
    }
    let (id, status, reply) = refused.expect("the snapshot's size is bounded");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{reply}");
    let after = stored(&t, "t").await;
    let ids: Vec<&str> = after["data"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&id), "the refused upload left no trace");
    assert_eq!(ids[0], "keep");
    assert_eq!(
        after["data"]["conversations"][0],
        before["data"]["conversations"][0]
    );
    t.stop().await;
}

#[tokio::test]
async fn snapshots_stored_whole_by_an_older_hub_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let old = json!({
        "task_id": "t",
        "conversations": [conversation("c1", 2)],
        "timestamp": "2025-08-25T10:00:00.123456",
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
    });
    {
        // The schema as the hub before this change left it, with a snapshot stored whole.
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut before = sqlx::migrate::Migrator::new(std::path::Path::new(dir))
            .await
            .unwrap();
        let older: Vec<_> = before
            .migrations
            .iter()
            .filter(|m| m.version <= 3)
            .cloned()
            .collect();
        assert_eq!(older.len(), 3);
        before.migrations = older.into();
        before.run(&pool).await.unwrap();
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (1, 'a', 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO tasks (tenant_id, task_id, data, received_at, updates) \
             VALUES (1, 't', ?, 0, 3)",
        )
        .bind(old.to_string())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let store = store::open(&url).await.unwrap();
    let task = store.task(1, "t").await.unwrap().expect("the task is kept");
    assert_eq!(task.data, old);
    assert_eq!(task.updates, 3);
    // And it merges on from there.
    let next: gohumanloop::model::wire::TaskSync = serde_json::from_value(upload(
        "t",
        json!([conversation("c2", 1)]),
        "2025-08-26T10:00:00",
    ))
    .unwrap();
    assert!(gohumanloop_hub::tasks::sync(store.as_ref(), 1, next)
        .await
        .unwrap());
    let task = store.task(1, "t").await.unwrap().unwrap();
    assert_eq!(task.updates, 4);
    assert_eq!(task.data["conversations"][0], old["conversations"][0]);
    assert_eq!(task.data["conversations"][1]["conversation_id"], "c2");
}
