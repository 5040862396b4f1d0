//! A hub served over real HTTP on loopback, on a real database: a SQLite file in a temporary
//! folder, or with `GHL_TEST_DATABASE=postgres` a fresh schema on the PostgreSQL server
//! `GHL_TEST_POSTGRES` names (`scripts/pg-server.sh`).

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use gohumanloop_hub::channels::email::{EmailChannel, EmailChannelConfig};
use gohumanloop_hub::channels::webhook::{WebhookChannel, WebhookConfig};
use gohumanloop_hub::channels::{Channel, Dispatcher};
use gohumanloop_hub::server::ServeLimits;
use gohumanloop_hub::store::{self, Store};
use gohumanloop_hub::web::WebConfig;
use gohumanloop_hub::{api, keys, Hub};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;

/// The keys every test hub has: two in tenant "a" (the agent and "alice"), one in tenant "b".
pub struct Keys {
    pub agent: String,
    pub alice: String,
    pub other: String,
}

pub struct TestHub {
    pub base: String,
    /// The database the hub's store is on ([`database_url`]): more handles open on it.
    pub url: String,
    pub http: reqwest::Client,
    pub hub: Hub,
    pub store: Arc<dyn Store>,
    pub keys: Keys,
    pub dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub async fn add_key(store: &dyn Store, tenant: &str, name: &str) -> String {
    let key = keys::generate();
    store
        .add_key(tenant, name, &keys::prefix(&key), &keys::hash(&key))
        .await
        .unwrap();
    key
}

/// How a test hub is served.
#[derive(Default)]
struct Setup {
    limits: ServeLimits,
    trusted_proxies: Vec<IpAddr>,
    webhooks: Vec<WebhookConfig>,
    policy: gohumanloop_hub::policy::Policy,
}

impl TestHub {
    pub async fn start() -> Self {
        Self::start_limited(ServeLimits::default()).await
    }

    /// A hub served within these connection limits.
    pub async fn start_limited(limits: ServeLimits) -> Self {
        let setup = Setup {
            limits,
            ..Setup::default()
        };
        Self::start_with(None::<fn(&str) -> EmailChannelConfig>, setup)
            .await
            .0
    }

    /// A hub that takes `X-Forwarded-For` from these peers (the web inbox's `trusted_proxies`).
    pub async fn start_behind(trusted_proxies: Vec<IpAddr>) -> Self {
        let setup = Setup {
            trusted_proxies,
            ..Setup::default()
        };
        Self::start_with(None::<fn(&str) -> EmailChannelConfig>, setup)
            .await
            .0
    }

    /// A hub with the email channel `config(base_url)` describes.
    /// A hub with these webhook channels.
    pub async fn start_with_webhooks(webhooks: Vec<WebhookConfig>) -> Self {
        let setup = Setup {
            webhooks,
            ..Setup::default()
        };
        Self::start_with(None::<fn(&str) -> EmailChannelConfig>, setup)
            .await
            .0
    }

    /// A hub whose new requests are planned by `policy`.
    pub async fn start_with_policy(policy: gohumanloop_hub::policy::Policy) -> Self {
        let setup = Setup {
            policy,
            ..Setup::default()
        };
        Self::start_with(None::<fn(&str) -> EmailChannelConfig>, setup)
            .await
            .0
    }

    /// A hub with the email channel and these webhook channels.
    pub async fn start_with_email_and_webhooks(
        config: impl FnOnce(&str) -> EmailChannelConfig,
        webhooks: Vec<WebhookConfig>,
    ) -> (Self, Arc<EmailChannel>) {
        let setup = Setup {
            webhooks,
            ..Setup::default()
        };
        let (hub, channel) = Self::start_with(Some(config), setup).await;
        (hub, channel.unwrap())
    }

    /// A hub with the email channel, whose new requests are planned by `policy`.
    pub async fn start_with_email_and_policy(
        config: impl FnOnce(&str) -> EmailChannelConfig,
        policy: gohumanloop_hub::policy::Policy,
    ) -> (Self, Arc<EmailChannel>) {
        let setup = Setup {
            policy,
            ..Setup::default()
        };
        let (hub, channel) = Self::start_with(Some(config), setup).await;
        (hub, channel.unwrap())
    }

    pub async fn start_with_email(
        config: impl FnOnce(&str) -> EmailChannelConfig,
    ) -> (Self, Arc<EmailChannel>) {
        let (hub, channel) = Self::start_with(Some(config), Setup::default()).await;
        (hub, channel.unwrap())
    }

    async fn start_with(
        email: Option<impl FnOnce(&str) -> EmailChannelConfig>,
        setup: Setup,
    ) -> (Self, Option<Arc<EmailChannel>>) {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(dir.path()).await;
        let store = store::open(&url).await.unwrap();
        let keys = Keys {
            agent: add_key(store.as_ref(), "a", "agent").await,
            alice: add_key(store.as_ref(), "a", "alice").await,
            other: add_key(store.as_ref(), "b", "mallory").await,
        };
        let hub = Hub::start_with_policy(store.clone(), setup.policy)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let base = format!("http://{addr}");
        let channel = match email {
            Some(config) => Some(
                EmailChannel::start(hub.clone(), config(&base))
                    .await
                    .unwrap(),
            ),
            None => None,
        };
        let web = WebConfig {
            secure_cookies: false,
            trusted_proxies: setup.trusted_proxies,
        };
        let mut channels: Vec<Arc<dyn Channel>> = match &channel {
            Some(email) => vec![email.clone()],
            None => Vec::new(),
        };
        for config in setup.webhooks {
            channels.push(WebhookChannel::start(hub.clone(), config).await.unwrap());
        }
        let dispatcher = Dispatcher::start(hub.clone(), channels).unwrap();
        let app = api::router_with(hub.clone(), web).merge(dispatcher.routes());
        let shutdown_hub = hub.clone();
        let server = tokio::spawn(async move {
            gohumanloop_hub::server::serve_with(listener, app, setup.limits, async move {
                let _ = stopped.await;
                shutdown_hub.begin_shutdown();
            })
            .await
            .unwrap();
        });
        let test_hub = Self {
            base,
            url,
            http: reqwest::Client::new(),
            hub,
            store,
            keys,
            dir,
            stop: Some(stop),
            server: Some(server),
        };
        (test_hub, channel)
    }

    /// Stops the server but keeps the database folder (to start again on it).
    pub async fn stop_keeping_data(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        key: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: every reply is JSON, got '{content_type}'"
        );
        let body: Value = response.json().await.unwrap();
        assert!(
            body.is_object(),
            "{path}: every reply is a JSON object: {body}"
        );
        (status, body)
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, Some(key), path, Some(&body))
            .await
    }

    pub async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, Some(key), path, None).await
    }

    /// Creates an approval request through the original API; asserts it was accepted.
    /// The hub's id of a request the agent key created, by its client `request_id`.
    pub async fn hub_id(&self, rid: &str) -> String {
        let (status, body) = self
            .get(&self.keys.agent, &format!("/api/v1/requests/{rid}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["request"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn create(&self, key: &str, cid: &str, rid: &str) {
        let (status, reply) = self
            .post(key, "/api/v1/humanloop/request", create_body(cid, rid))
            .await;
        assert_eq!(
            (status, &reply["success"]),
            (StatusCode::OK, &json!(true)),
            "{reply}"
        );
    }

    pub async fn status(
        &self,
        key: &str,
        cid: &str,
        rid: &str,
        extra: &str,
    ) -> (StatusCode, Value) {
        self.get(
            key,
            &format!(
                "/api/v1/humanloop/status?conversation_id={cid}&request_id={rid}&platform=test{extra}"
            ),
        )
        .await
    }
}

/// The database a test's store opens: `sqlite://DIR/hub.db`, or with `GHL_TEST_DATABASE=postgres`
/// a schema of its own on the server `GHL_TEST_POSTGRES` names ([`postgres_schema`]). Each call
/// is a new, empty database: open more handles on one by reusing the URL.
pub async fn database_url(dir: &Path) -> String {
    match std::env::var("GHL_TEST_DATABASE").as_deref() {
        Err(_) | Ok("" | "sqlite") => format!("sqlite://{}", dir.join("hub.db").display()),
        Ok("postgres") => {
            let base = std::env::var("GHL_TEST_POSTGRES").unwrap_or_else(|_| {
                panic!(
                    "GHL_TEST_DATABASE=postgres but GHL_TEST_POSTGRES is not set: start a server \
                     with `bash scripts/pg-server.sh start` and export what it prints, or run \
                     scripts/test.sh"
                )
            });
            postgres_schema(&base).await
        }
        Ok(other) => panic!("GHL_TEST_DATABASE={other}: use sqlite or postgres"),
    }
}

/// A fresh schema `t_<uuid>` on the PostgreSQL server at `base` (a superuser's URL), as `base`
/// with the connection option `search_path` set to it: every connection opened with the URL
/// (each one of a store's pools and listeners) lands in that schema.
pub async fn postgres_schema(base: &str) -> String {
    use sqlx::Connection;
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to GHL_TEST_POSTGRES ({base}): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    with_search_path(base, &schema)
}

/// `url` with the connection parameter `options=-c search_path=SCHEMA` (percent-encoded, after
/// `&` when the URL has a query already), which sqlx's `PgConnectOptions` sends at start-up.
pub fn with_search_path(url: &str, schema: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');
    let join = if url.contains('?') { '&' } else { '?' };
    let option = format!("-c search_path={schema}");
    format!("{url}{join}options={}", utf8_percent_encode(&option, VALUE))
}

/// Runs `sql` on the database at `url` (SQLite or PostgreSQL) on a connection of its own, as
/// another process would.
pub async fn execute_sql(url: &str, sql: &'static str) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

/// The rows of one text column `sql` selects from the database at `url` (SQLite or PostgreSQL).
pub async fn text_rows(url: &str, sql: &'static str) -> Vec<String> {
    use sqlx::Connection;
    let rows: Vec<(String,)> = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows
    };
    rows.into_iter().map(|(text,)| text).collect()
}

/// The body the original client sends for an approval.
pub fn create_body(cid: &str, rid: &str) -> Value {
    json!({
        "task_id": "task-1",
        "conversation_id": cid,
        "request_id": rid,
        "loop_type": "approval",
        "context": {"message": "May I deploy?", "question": "Approve?"},
        "platform": "test",
        "metadata": {"source": "tests"}
    })
}

/// The venv's Python (`GHL_TEST_PYTHON`); `None` — the test reports itself skipped — without.
pub fn python() -> Option<String> {
    gohumanloop_testkit::env_or_skip(
        "GHL_TEST_PYTHON",
        "a venv with standardwebhooks and the platforms' SDKs: run scripts/test.sh",
    )
}

/// Runs the Python `script` (a reference implementation) with `input` as JSON on stdin; its
/// stdout read as JSON. Panics if it fails.
pub fn reference_json(python: &str, script: &str, input: &Value) -> Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the venv's python runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{script} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}
