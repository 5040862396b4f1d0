//! Acknowledged means durable: `ghl serve` killed with SIGKILL in the middle of a stream of
//! creates and answers loses nothing it acknowledged, its audit chain stays intact, waiting
//! agents get their outcome after the restart, and deadlines that passed while it was down are
//! applied when it comes back.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ghl, HubProcess};
use serde_json::{json, Value};

/// How long the load runs before the kill.
const LOAD_BEFORE_KILL: Duration = Duration::from_millis(700);
/// Concurrent writers.
const WRITERS: usize = 16;

struct Client {
    http: reqwest::Client,
    key: String,
}

impl Client {
    async fn post(&self, base: &str, path: &str, body: Value) -> Option<Value> {
        let response = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(&self.key)
            .json(&body)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    async fn status(&self, base: &str, rid: &str, wait: u32) -> Option<Value> {
        let response = self
            .http
            .get(format!("{base}/api/v1/humanloop/status"))
            .query(&[
                ("conversation_id", "crash"),
                ("request_id", rid),
                ("platform", "test"),
            ])
            .query(&[("wait", wait)])
            .bearer_auth(&self.key)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }
}

fn create_body(rid: &str, timeout: Option<u64>) -> Value {
    let mut body = json!({
        "task_id": "crash", "conversation_id": "crash", "request_id": rid, "loop_type": "approval",
        "context": {"message": format!("request {rid}")}, "platform": "test", "metadata": {}
    });
    if let Some(t) = timeout {
        body["timeout"] = json!(t);
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_create_or_answer() {
    let mut hub = HubProcess::start();
    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        key: hub.key("a", "agent"),
    });
    let created = Arc::new(Mutex::new(Vec::<String>::new()));
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let base = hub.base.clone();
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (client, created, answered, base) = (
            client.clone(),
            created.clone(),
            answered.clone(),
            base.clone(),
        );
        writers.push(tokio::spawn(async move {
            // Bounded: stops at the first failure (the kill) or after 10,000 requests.
            for i in 0..10_000 {
                let rid = format!("w{w}-{i}");
                let Some(reply) = client
                    .post(&base, "/api/v1/humanloop/request", create_body(&rid, None))
                    .await
                else {
                    return;
                };
                if reply["success"] != true {
                    return;
                }
                created.lock().unwrap().push(rid.clone());
                if i % 2 == 0 {
                    let path = format!("/api/v1/requests/{rid}/approve");
                    match client.post(&base, &path, json!({"reason": "ok"})).await {
                        Some(r) if r["success"] == true => answered.lock().unwrap().push(rid),
                        _ => return,
                    }
                }
            }
        }));
    }
    // Agents waiting on unanswered requests when the hub dies: they reconnect and wait on.
    tokio::time::sleep(LOAD_BEFORE_KILL / 2).await;
    let pending: Vec<String> = {
        let created = created.lock().unwrap();
        let answered = answered.lock().unwrap();
        created
            .iter()
            .filter(|r| !answered.contains(r))
            .take(20)
            .cloned()
            .collect()
    };
    assert!(
        !pending.is_empty(),
        "some requests are waiting before the kill"
    );
    let waiters: Vec<_> = pending
        .iter()
        .map(|rid| {
            let (client, base, rid) = (client.clone(), base.clone(), rid.clone());
            tokio::spawn(async move {
                for _ in 0..100 {
                    match client.status(&base, &rid, 5).await {
                        Some(r) if r["status"] != "pending" => return r,
                        Some(_) => {}
                        None => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
                panic!("no outcome for {rid}");
            })
        })
        .collect();
    tokio::time::sleep(LOAD_BEFORE_KILL / 2).await;
    hub.kill();
    for w in writers {
        w.await.unwrap();
    }
    let created = created.lock().unwrap().clone();
    let answered = answered.lock().unwrap().clone();
    assert!(
        created.len() > 100,
        "the load ran ({} creates in {:?})",
        created.len(),
        started.elapsed()
    );

    let addr = hub.addr();
    hub.spawn(&addr);
    for rid in &pending {
        let path = format!("/api/v1/requests/{rid}/reject");
        let r = client
            .post(&hub.base, &path, json!({"reason": "after restart"}))
            .await
            .unwrap();
        assert_eq!(r["success"], true, "{r}");
    }
    for w in waiters {
        assert_eq!(w.await.unwrap()["status"], "rejected");
    }

    for rid in &created {
        let r = client.status(&hub.base, rid, 0).await.unwrap();
        assert_eq!(r["success"], true, "acknowledged create {rid} was lost");
        if answered.contains(rid) {
            assert_eq!(
                r["status"], "approved",
                "acknowledged answer to {rid} was lost"
            );
            assert_eq!(r["response"]["reason"], "ok");
        }
    }
    let out = ghl(&["audit", "verify", "--db", &hub.db_url()], &[]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    println!(
        "{} creates and {} answers acknowledged before the kill, all present; {report}",
        created.len(),
        answered.len()
    );
}

#[tokio::test]
async fn a_deadline_that_passes_while_the_hub_is_down_is_applied_at_restart() {
    let mut hub = HubProcess::start();
    let client = Client {
        http: reqwest::Client::new(),
        key: hub.key("a", "agent"),
    };
    let r = client
        .post(
            &hub.base,
            "/api/v1/humanloop/request",
            create_body("soon", Some(1)),
        )
        .await
        .unwrap();
    assert_eq!(r["success"], true);
    let r = client
        .post(
            &hub.base,
            "/api/v1/humanloop/request",
            create_body("later", Some(3600)),
        )
        .await
        .unwrap();
    assert_eq!(r["success"], true);
    hub.kill();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let addr = hub.addr();
    hub.spawn(&addr);
    let r = client.status(&hub.base, "soon", 10).await.unwrap();
    assert_eq!(r["status"], "expired", "{r}");
    assert_eq!(r["error"], "Request timed out");
    let r = client.status(&hub.base, "later", 0).await.unwrap();
    assert_eq!(
        r["status"], "pending",
        "a deadline still ahead is kept: {r}"
    );
}
