//! Several `ghl serve` processes — hub nodes — on one PostgreSQL database: the test server at
//! `GHL_TEST_POSTGRES` (set by `scripts/test.sh` from `scripts/pg-server.sh`), a database of its
//! own for each test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::Connection;

use super::{ghl, last_line, try_listening_url, GHL};

/// The conversation and platform of every request the node tests make.
pub const CONVERSATION: &str = "nodes";
pub const PLATFORM: &str = "test";

/// The test server's URL (`GHL_TEST_POSTGRES`); `None` — the test reports itself skipped —
/// when it is not set.
pub fn server() -> Option<String> {
    gohumanloop_testkit::env_or_skip("GHL_TEST_POSTGRES", "bash scripts/pg-server.sh start")
}

/// `url` with its user replaced by `user` (and no password).
pub fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..end].rsplit_once('@') {
        Some((_, host)) => host,
        None => &rest[..end],
    };
    format!("{scheme}://{user}@{host}{}", &rest[end..])
}

/// `url` with its database (the URL's path) replaced by `name`; the query string is kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = main.split_once("://").expect("a URL with a scheme");
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A database of its own on the test server (named `t_…`: `scripts/pg-server.sh` drops what
/// earlier runs left).
pub struct Database {
    /// The URL every node and `ghl` command of the test uses.
    pub url: String,
    /// The database's name.
    pub name: String,
    server: String,
    /// Roles made for the test (dropped with the database).
    roles: Vec<String>,
    /// Dropped already ([`Database::drop_it`]).
    dropped: bool,
}

impl Database {
    pub async fn create(server: &str) -> Self {
        let name = format!("t_nodes_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(server)
            .await
            .expect("the test server at GHL_TEST_POSTGRES answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Self {
            url: with_database(server, &name),
            name,
            server: server.to_owned(),
            roles: Vec::new(),
            dropped: false,
        }
    }

    /// A connection to the test's database (to look at what the nodes wrote).
    pub async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url).await.unwrap()
    }

    /// A connection to the test server's own database (for `ALTER DATABASE`,
    /// `pg_terminate_backend` and the like).
    pub async fn connect_server(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.server).await.unwrap()
    }

    /// A new login role of the test server (a superuser: it may do what the first one does,
    /// named `node_…`, which `scripts/pg-server.sh` drops), and the database's URL with it — a
    /// node that connects as a role of its own can be told apart (`pg_stat_activity.usename`)
    /// and shut out (`ALTER ROLE … NOLOGIN`).
    pub async fn role(&mut self) -> (String, String) {
        let role = format!("node_{}", uuid::Uuid::new_v4().simple());
        let mut conn = self.connect_server().await;
        let sql = format!("CREATE ROLE {role} LOGIN SUPERUSER");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        self.roles.push(role.clone());
        let url = with_user(&self.url, &role);
        (role, url)
    }

    /// Drops the database and the test's roles now (else that happens when it is dropped).
    pub async fn drop_it(mut self) {
        drop_all(&self.server, self.statements()).await;
        self.dropped = true;
    }

    /// What drops the database and the test's roles.
    fn statements(&self) -> Vec<String> {
        let mut statements = vec![format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )];
        statements.extend(
            self.roles
                .iter()
                .map(|r| format!("DROP ROLE IF EXISTS {r}")),
        );
        statements
    }

    /// `ghl keys create` on the database; returns the key.
    pub fn key(&self, tenant: &str, name: &str) -> String {
        let args = [
            "keys", "create", "--db", &self.url, "--tenant", tenant, "--name", name,
        ];
        last_line(ghl(&args, &[]))
    }

    /// `ghl audit verify`: its report (`audit log intact: N entries`); fails unless intact.
    pub fn audit_verify(&self) -> String {
        let out = ghl(&["audit", "verify", "--db", &self.url], &[]);
        let report = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            out.status.success(),
            "ghl audit verify: {report} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        report
    }
}

/// Dropped with the test, passed or failed: the database (its nodes are gone by then, being
/// declared after it; any connection left is cut) and the roles made for it.
impl Drop for Database {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (server, statements) = (self.server.clone(), self.statements());
        // Inside the test's runtime: a runtime of its own, on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(drop_all(&server, statements));
        });
        let _ = dropped.join();
    }
}

/// Runs the `DROP` statements on the test server (best effort).
async fn drop_all(server: &str, statements: Vec<String>) {
    let Ok(mut conn) = sqlx::PgConnection::connect(server).await else {
        return;
    };
    for sql in statements {
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await;
    }
    let _ = conn.close().await;
}

/// One `ghl serve` node on the database, on a free loopback port.
pub struct Node {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl Node {
    /// Starts `ghl serve --db DB` with more arguments; waits for its `listening on` line.
    pub fn start(db: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let mut child = Command::new(GHL)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--db",
                db,
                "--log-level",
                "warn",
            ])
            .args(extra)
            .env_remove("GHL_CONFIG")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("ghl serve starts");
        let listening = try_listening_url(&mut child);
        let mut node = Self {
            base: String::new(),
            child: Some(child),
            dir,
        };
        match listening {
            Some(base) => node.base = base,
            None => panic!("ghl serve did not start: {}", node.log()),
        }
        node
    }

    /// What the node wrote to standard error (its log, at `warn`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("stderr.log")
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The body of a create (`POST /api/v1/humanloop/request`) of an approval.
pub fn create_body(rid: &str, timeout: Option<u64>) -> Value {
    create_body_of("approval", rid, timeout)
}

/// The body of a create of a request of `loop_type`.
pub fn create_body_of(loop_type: &str, rid: &str, timeout: Option<u64>) -> Value {
    let mut body = json!({
        "task_id": "nodes", "conversation_id": CONVERSATION, "request_id": rid,
        "loop_type": loop_type, "context": {"message": format!("request {rid}")},
        "platform": PLATFORM, "metadata": {}
    });
    if let Some(t) = timeout {
        body["timeout"] = json!(t);
    }
    body
}

/// An HTTP client with one key. Every call is bounded by a time-out; a transport failure (a
/// node that is gone) is an `Err`.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    key: String,
}

impl Api {
    pub fn new(key: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            key: key.to_owned(),
        }
    }

    /// Creates an approval request; the reply (`success` true when acknowledged).
    pub async fn create(
        &self,
        base: &str,
        rid: &str,
        timeout: Option<u64>,
    ) -> reqwest::Result<Value> {
        self.http
            .post(format!("{base}/api/v1/humanloop/request"))
            .bearer_auth(&self.key)
            .json(&create_body(rid, timeout))
            .timeout(Duration::from_secs(10))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    /// `GET /api/v1/humanloop/status`, long-polling up to `wait` seconds.
    pub async fn status(&self, base: &str, rid: &str, wait: f64) -> reqwest::Result<Value> {
        self.http
            .get(format!("{base}/api/v1/humanloop/status"))
            .query(&[
                ("conversation_id", CONVERSATION),
                ("request_id", rid),
                ("platform", PLATFORM),
            ])
            .query(&[("wait", wait)])
            .bearer_auth(&self.key)
            .timeout(Duration::from_secs_f64(wait + 10.0))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    /// `POST /api/v1/requests/{rid}/{action}` (`approve`, `reject`) with a reason: the HTTP
    /// status and the reply.
    pub async fn decide(
        &self,
        base: &str,
        rid: &str,
        action: &str,
        reason: &str,
    ) -> reqwest::Result<(u16, Value)> {
        let path = format!("/api/v1/requests/{rid}/{action}");
        self.post(base, &path, &json!({ "reason": reason })).await
    }

    /// `POST {base}{path}` with a JSON body: the HTTP status and the reply.
    pub async fn post(
        &self,
        base: &str,
        path: &str,
        body: &Value,
    ) -> reqwest::Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(&self.key)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// The request's audit entries (`GET /api/v1/requests/{rid}/audit`).
    pub async fn audit(&self, base: &str, rid: &str) -> Vec<Value> {
        let reply: Value = self
            .http
            .get(format!("{base}/api/v1/requests/{rid}/audit"))
            .bearer_auth(&self.key)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["entries"]
            .as_array()
            .unwrap_or_else(|| panic!("no entries: {reply}"))
            .clone()
    }
}

/// How many rows each of `tables` holds in the database at `url`, in that order.
pub async fn row_counts(url: &str, tables: &[&str]) -> Vec<(String, i64)> {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut conn)
                .await
                .unwrap();
        counts.push((table.to_string(), n));
    }
    conn.close().await.unwrap();
    counts
}
