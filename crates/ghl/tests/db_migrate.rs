//! `ghl db migrate`: a real SQLite hub, filled over HTTP by real `ghl serve` and `ghl keys|users`
//! commands, copied into a new database on a real PostgreSQL, and served from there by `ghl
//! serve --db postgres://…`: the same requests, answers, audit trails, keys, accounts, sessions
//! and task snapshots; the sequences continue; the chain verifies. A second copy into the same
//! database is refused and changes nothing; a source whose audit log was tampered with is copied
//! as it is and reported (exit 1). PostgreSQL at `GHL_TEST_POSTGRES`; reported skipped without it
//! (which fails `scripts/test.sh`).

mod common;

use std::process::Output;
use std::time::Duration;

use common::nodes::{server, Database, Node};
use common::{get_json, ghl, post_json, HubProcess};
use serde_json::{json, Value};
use sqlx::{Connection, Row};

/// A context a human reads, with text from outside ASCII.
fn context(question: &str) -> Value {
    json!({
        "message": "Déployer v2 en production — 部署 🚀",
        "question": question,
        "additional": "naïve café, Ελληνικά, \u{1F9EA} \"quoted\" \\ backslash",
    })
}

/// `POST /api/v1/humanloop/{route}`: must succeed.
async fn wire(base: &str, key: &str, route: &str, body: Value) {
    let reply = post_json(&format!("{base}/api/v1/humanloop/{route}"), key, &body).await;
    assert_eq!(reply["success"], true, "{route} {body}: {reply}");
}

/// Creates a request over the original protocol.
async fn create(
    base: &str,
    key: &str,
    conversation: &str,
    rid: &str,
    loop_type: &str,
    timeout: u64,
) {
    let mut body = json!({
        "task_id": "release-42", "conversation_id": conversation, "request_id": rid,
        "loop_type": loop_type, "platform": "cli", "context": context(&format!("{rid}?")),
        "metadata": {"origin": "tëst", "n": 1},
    });
    if timeout > 0 {
        body["timeout"] = json!(timeout);
    }
    wire(base, key, "request", body).await;
}

/// `POST /api/v1/requests/{rid}/{action}` (the answering API): must succeed.
async fn answer(base: &str, key: &str, rid: &str, action: &str, body: Value) {
    let reply = post_json(
        &format!("{base}/api/v1/requests/{rid}/{action}"),
        key,
        &body,
    )
    .await;
    assert_eq!(reply["success"], true, "{action} {rid}: {reply}");
}

/// What a hub shows of a tenant: its list (newest first), each request with its history and its
/// audit trail, and the request ids' statuses over the original protocol.
async fn snapshot(base: &str, key: &str) -> Value {
    let list = get_json(&format!("{base}/api/v1/requests?limit=1000"), key).await;
    assert_eq!(list["success"], true, "{list}");
    let mut requests = Vec::new();
    for r in list["requests"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        let one = get_json(&format!("{base}/api/v1/requests/{id}"), key).await;
        let audit = get_json(&format!("{base}/api/v1/requests/{id}/audit"), key).await;
        assert!(!audit["entries"].as_array().unwrap().is_empty(), "{audit}");
        let status = get_json(
            &format!(
                "{base}/api/v1/humanloop/status?conversation_id={}&request_id={}&platform=cli",
                r["conversation_id"].as_str().unwrap(),
                r["request_id"].as_str().unwrap()
            ),
            key,
        )
        .await;
        requests.push(json!({"request": one, "audit": audit, "status": status}));
    }
    let tasks = get_json(&format!("{base}/api/v1/humanloop/tasks"), key).await;
    json!({"list": list, "requests": requests, "tasks": tasks})
}

/// The stdout of a `ghl` run, which must succeed.
fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ghl db migrate --from FROM --to TO`: its exit code, stdout and stderr.
fn migrate(from: &str, to: &str) -> (Option<i32>, String, String) {
    let began = std::time::Instant::now();
    let out = ghl(&["db", "migrate", "--from", from, "--to", to], &[]);
    println!("ghl db migrate took {:?}", began.elapsed());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The deliveries of a database, in one order, as text.
async fn sqlite_deliveries(url: &str) -> Vec<String> {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT request_id, channel, recipient, state, attempts, last_error, data \
         FROM deliveries ORDER BY request_id, channel, recipient",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {:?} {:?}",
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2),
                r.get::<String, _>(3),
                r.get::<i64, _>(4),
                r.get::<Option<String>, _>(5),
                r.get::<Option<String>, _>(6)
            )
        })
        .collect()
}

async fn pg_deliveries(url: &str) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT request_id, channel, recipient, state, attempts, last_error, data \
         FROM deliveries ORDER BY request_id COLLATE \"C\", channel COLLATE \"C\", recipient \
         COLLATE \"C\"",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {:?} {:?}",
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2),
                r.get::<String, _>(3),
                r.get::<i64, _>(4),
                r.get::<Option<String>, _>(5),
                r.get::<Option<String>, _>(6)
            )
        })
        .collect()
}

/// How many rows each table of the target holds.
async fn pg_counts(url: &str) -> Vec<(String, i64)> {
    common::nodes::row_counts(
        url,
        &[
            "tenants",
            "api_keys",
            "users",
            "user_tenants",
            "web_sessions",
            "requests",
            "audit_log",
            "tasks",
            "used_links",
            "hub_secrets",
            "deliveries",
        ],
    )
    .await
}

/// The id column of `ghl keys list` (the first word of each line after the header).
fn key_ids(list: &str) -> Vec<i64> {
    list.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_populated_sqlite_hub_moves_to_postgres() {
    let Some(pg) = server() else { return };
    let began = std::time::Instant::now();

    // A SQLite hub with a webhook channel (to a port where nothing listens: its deliveries are
    // recorded with their failed attempts).
    let mut hub = HubProcess::unstarted();
    let config = hub.path().join("ghl.toml");
    std::fs::write(
        &config,
        "[[webhook]]\nname = \"ops\"\nurl = \"http://127.0.0.1:9/hook\"\n\
         secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nretry = [\"1h\"]\n",
    )
    .unwrap();
    let config = config.display().to_string();
    hub.set_extra(&["--config", &config], &[]);
    hub.spawn("127.0.0.1:0");
    let sqlite = hub.db_url();
    let base = hub.base.clone();

    // Keys of two tenants (and a revoked one), an approver of both tenants.
    let acme = hub.key("acme", "alice");
    let globex = hub.key("globex", "bob");
    let old = hub.key("acme", "old-bot");
    let keys = stdout(&ghl(&["keys", "list", "--db", &sqlite], &[]));
    let old_id = key_ids(&keys).into_iter().max().unwrap().to_string();
    stdout(&ghl(&["keys", "revoke", "--db", &sqlite, &old_id], &[]));
    let password = hub.user("carol", "approver", &["acme"]);
    stdout(&ghl(
        &[
            "users", "grant", "--db", &sqlite, "--tenant", "globex", "carol",
        ],
        &[],
    ));

    // Requests of each loop type, with and without deadlines, answered every way.
    create(&base, &acme, "c-1", "approve-me", "approval", 3600).await;
    create(&base, &acme, "c-1", "reject-me", "approval", 0).await;
    create(&base, &acme, "c-2", "info", "information", 3600).await;
    create(&base, &acme, "c-3", "talk-1", "conversation", 0).await;
    create(&base, &acme, "c-4", "cancel-me", "approval", 0).await;
    create(&base, &acme, "c-5", "expire-me", "approval", 1).await;
    create(&base, &acme, "c-6", "waiting", "approval", 7200).await;
    create(&base, &globex, "g-1", "approve-me", "approval", 0).await;
    create(&base, &globex, "g-2", "pending-g", "information", 0).await;
    answer(
        &base,
        &acme,
        "approve-me",
        "approve",
        json!({"reason": "go ahead ✅"}),
    )
    .await;
    answer(
        &base,
        &acme,
        "reject-me",
        "reject",
        json!({"reason": "nicht jetzt"}),
    )
    .await;
    answer(
        &base,
        &acme,
        "info",
        "answer",
        json!({"text": "account 4711 — ok", "feedback": {"stars": 5}}),
    )
    .await;
    answer(&base, &acme, "talk-1", "reply", json!({"text": "go on 🙂"})).await;
    wire(
        &base,
        &acme,
        "continue",
        json!({"task_id": "release-42", "conversation_id": "c-3", "request_id": "talk-2",
               "platform": "cli", "context": context("and now?"), "metadata": {}}),
    )
    .await;
    answer(
        &base,
        &acme,
        "talk-2",
        "reply",
        json!({"text": "done", "complete": true}),
    )
    .await;
    wire(
        &base,
        &acme,
        "cancel",
        json!({"conversation_id": "c-4", "request_id": "cancel-me", "platform": "cli"}),
    )
    .await;
    answer(
        &base,
        &globex,
        "approve-me",
        "approve",
        json!({"arguments": {"nodes": 8, "zone": "eu-west-1"}}),
    )
    .await;
    // A task snapshot, as the original client's manager uploads it.
    let synced = post_json(
        &format!("{base}/api/v1/humanloop/tasks/sync"),
        &acme,
        &json!({
            "task_id": "release-42",
            "conversations": [{"conversation_id": "c-1", "provider_id": "GoHumanLoop", "requests": [
                {"request_id": "approve-me", "status": "approved", "loop_type": "approval",
                 "response": {"decision": "approved"}}
            ]}],
            "timestamp": "2026-11-25T10:00:00",
            "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux über"},
        }),
    )
    .await;
    assert_eq!(synced["success"], true, "{synced}");
    // An inbox session.
    let cookie = common::web_sign_in(&base, "carol", &password).await;
    assert_eq!(common::inbox_status(&base, &cookie).await, 200);
    // The one-second deadline falls due on the SQLite hub.
    gohumanloop_testkit::until("expire-me to expire", Duration::from_secs(60), || async {
        let seen = get_json(&format!("{base}/api/v1/requests/expire-me"), &acme).await;
        (seen["request"]["status"] == "expired").then_some(())
    })
    .await;

    // What the SQLite hub shows; then it stops.
    let before_acme = snapshot(&base, &acme).await;
    let before_globex = snapshot(&base, &globex).await;
    assert_eq!(before_acme["list"]["count"], 8, "{}", before_acme["list"]);
    let keys_before = stdout(&ghl(&["keys", "list", "--db", &sqlite], &[]));
    let users_before = stdout(&ghl(&["users", "list", "--db", &sqlite], &[]));
    let deliveries_before = sqlite_deliveries(&sqlite).await;
    assert!(
        deliveries_before
            .iter()
            .any(|d| d.contains(" webhook:ops ")),
        "the webhook channel recorded deliveries: {deliveries_before:?}"
    );
    let verified = stdout(&ghl(&["audit", "verify", "--db", &sqlite], &[]));
    // SIGKILL: the copy reads a database whose write-ahead log was left behind.
    hub.kill();
    let entries: u64 = verified
        .trim()
        .strip_prefix("audit log intact: ")
        .and_then(|s| s.strip_suffix(" entries"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{verified}"));
    println!("filled the SQLite hub in {:?}", began.elapsed());

    // The copy.
    let db = Database::create(&pg).await;
    let (code, out, err) = migrate(&sqlite, &db.url);
    assert_eq!(code, Some(0), "{out}{err}");
    for line in [
        "tenants       2 rows",
        "api_keys      3 rows",
        "users         1 row",
        "user_tenants  2 rows",
        "web_sessions  1 row",
        "requests      10 rows",
        "tasks         1 row",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} in {out}");
    }
    assert!(out.contains(verified.trim()), "{out}");
    assert_eq!(
        sqlite_deliveries(&sqlite).await,
        deliveries_before,
        "the source is unchanged"
    );
    assert_eq!(pg_deliveries(&db.url).await, deliveries_before);

    // The same hub, on PostgreSQL.
    let node = Node::start(&db.url, &["--config", &config]);
    let base = node.base.clone();
    assert_eq!(snapshot(&base, &acme).await, before_acme);
    assert_eq!(snapshot(&base, &globex).await, before_globex);
    assert_eq!(
        stdout(&ghl(&["keys", "list", "--db", &db.url], &[])),
        keys_before
    );
    assert_eq!(
        stdout(&ghl(&["users", "list", "--db", &db.url], &[])),
        users_before
    );
    assert_eq!(db.audit_verify(), verified.trim());
    // The revoked key stays revoked; the session is still signed in.
    let refused = reqwest::Client::new()
        .get(format!("{base}/api/v1/requests"))
        .bearer_auth(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(common::inbox_status(&base, &cookie).await, 200);
    assert_eq!(common::inbox_status(&base, "ghl_session=forged").await, 303);

    // New rows continue the sequences: the newest request comes first, the next key's id is
    // the next number, and the chain goes on.
    create(&base, &acme, "c-7", "after", "approval", 0).await;
    answer(&base, &acme, "waiting", "approve", json!({})).await;
    let ids = |list: &Value| -> Vec<String> {
        let requests = list["requests"].as_array().unwrap();
        requests
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = get_json(&format!("{base}/api/v1/requests?limit=1000"), &acme).await;
    assert_eq!(all["requests"][0]["request_id"], "after", "{all}");
    let older = ids(&all).split_off(1);
    assert_eq!(
        older,
        ids(&before_acme["list"]),
        "the older requests follow, in the same order"
    );
    // A page's cursor continues it.
    let page = get_json(&format!("{base}/api/v1/requests?limit=3"), &acme).await;
    let next = match &page["next"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let rest = get_json(&format!("{base}/api/v1/requests?before={next}"), &acme).await;
    assert_eq!([ids(&page), ids(&rest)].concat(), ids(&all));
    let created = stdout(&ghl(
        &[
            "keys", "create", "--db", &db.url, "--tenant", "acme", "--name", "new",
        ],
        &[],
    ));
    let new_key = created.lines().last().unwrap().to_owned();
    let ids = key_ids(&stdout(&ghl(&["keys", "list", "--db", &db.url], &[])));
    assert_eq!(ids, vec![1, 2, 3, 4], "the new key is number 4");
    let seen = get_json(&format!("{base}/api/v1/requests/after"), &new_key).await;
    assert_eq!(seen["request"]["status"], "pending", "{seen}");
    assert_eq!(
        db.audit_verify(),
        format!("audit log intact: {} entries", entries + 2)
    );

    // A second copy into the (now used) database is refused, and changes nothing.
    drop(node);
    let counts = pg_counts(&db.url).await;
    let (code, out, err) = migrate(&sqlite, &db.url);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("the target database is not empty") && err.contains(&db.url),
        "{err}"
    );
    assert!(
        err.contains("requests") && err.contains("audit_log"),
        "{err}"
    );
    assert_eq!(out, "", "no counts printed");
    assert_eq!(pg_counts(&db.url).await, counts);
    assert_eq!(
        db.audit_verify(),
        format!("audit log intact: {} entries", entries + 2)
    );
    db.drop_it().await;
    println!("the whole test took {:?}", began.elapsed());
}

#[tokio::test]
async fn a_tampered_source_is_copied_as_it_is_and_reported() {
    let Some(pg) = server() else { return };
    let mut hub = HubProcess::start();
    let key = hub.key("default", "agent");
    for rid in ["r-1", "r-2", "r-3"] {
        create(&hub.base, &key, "c", rid, "approval", 0).await;
    }
    answer(&hub.base, &key, "r-2", "approve", json!({"reason": "fine"})).await;
    hub.kill();
    let sqlite = hub.db_url();
    // Someone edits an entry of the log: the create of r-2 now says something else.
    let mut conn = sqlx::SqliteConnection::connect(&sqlite).await.unwrap();
    let changed = sqlx::query("UPDATE audit_log SET detail = '{\"edited\":true}' WHERE seq = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    conn.close().await.unwrap();
    let broken = "audit log BROKEN at entry 2: its content does not match its hash";
    let out = ghl(&["audit", "verify", "--db", &sqlite], &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), broken);

    let db = Database::create(&pg).await;
    let (code, out, err) = migrate(&sqlite, &db.url);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.lines().any(|l| l == broken), "{out}");
    assert!(out.contains("requests      3 rows"), "{out}");
    assert!(
        err.contains("already broken") && err.contains("copied as it is"),
        "{err}"
    );
    // Copied faithfully: the copy breaks at the same entry, for the same reason.
    let out = ghl(&["audit", "verify", "--db", &db.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), broken);
    let mut conn = db.connect().await;
    let (requests, entries): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM audit_log)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    assert_eq!((requests, entries), (3, 4));
    db.drop_it().await;
}

#[test]
fn what_cannot_be_copied_is_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("nothing.db").display());
    let (code, out, err) = migrate(&missing, "postgres://ghl@127.0.0.1:1/ghl");
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("does not exist") && err.contains("nothing.db"),
        "{err}"
    );
    assert!(
        !dir.path().join("nothing.db").exists(),
        "no database was made"
    );

    // A real source; a target that is not PostgreSQL, then one that cannot be reached (its
    // password is never shown).
    let source = dir.path().join("ghl.db");
    let source = format!("sqlite://{}", source.display());
    stdout(&ghl(&["keys", "create", "--db", &source], &[]));
    let (code, _, err) = migrate(&source, "sqlite://other.db");
    assert_eq!(code, Some(1));
    assert!(err.contains("must be a PostgreSQL database"), "{err}");
    let (code, _, err) = migrate(&source, "postgres://ghl:s3cret@127.0.0.1:1/ghl");
    assert_eq!(code, Some(1));
    assert!(err.contains("postgres://ghl:***@127.0.0.1:1/ghl"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
}
