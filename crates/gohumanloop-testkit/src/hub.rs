//! A hub served in-process over real HTTP on loopback, on a real database
//! ([`crate::database::database_url`]: a SQLite file in a temporary folder, or with
//! `GHL_TEST_DATABASE=postgres` a schema of its own on the PostgreSQL server), with three keys,
//! its channels and policy as a test needs; every reply checked against the JSON contract.

use std::net::{IpAddr, SocketAddr};
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

use crate::database::database_url;
use crate::protocol::create_body;

/// The keys every test hub has: two in tenant "a" (the agent and "alice"), one in tenant "b".
pub struct Keys {
    /// Tenant "a"'s agent.
    pub agent: String,
    /// Tenant "a"'s approver.
    pub alice: String,
    /// Tenant "b"'s key ("mallory").
    pub other: String,
}

/// A hub served in-process for one test; [`TestHub::stop`] ends it.
pub struct TestHub {
    /// Its URL (`http://127.0.0.1:PORT`).
    pub base: String,
    /// The database the hub's store is on ([`database_url`]): more handles open on it.
    pub url: String,
    /// The client its helpers send with.
    pub http: reqwest::Client,
    /// The hub itself (its clock, its waiters, shutting down).
    pub hub: Hub,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Its keys.
    pub keys: Keys,
    /// The folder its SQLite file (and anything else of the test's) lives in.
    pub dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// Adds a key named `name` to `tenant` (made if new) as `ghl keys create` does; the key.
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
    /// A hub with no channel and no policy.
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

    /// A hub with the email channel `config(base_url)` describes.
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

    /// Stops the server (the hub shuts down first) and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Sends `method path` (with `key` and a JSON `body`, when given); the status and the JSON
    /// body, after checking the contract every reply of the hub's API keeps: JSON, an object.
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
        crate::http::json_reply(path, response).await
    }

    /// `POST path` with `key` and a JSON body ([`TestHub::send`]).
    pub async fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, Some(key), path, Some(&body))
            .await
    }

    /// `GET path` with `key` ([`TestHub::send`]).
    pub async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, Some(key), path, None).await
    }

    /// The hub's id of a request the agent key created, by its client `request_id`.
    pub async fn hub_id(&self, rid: &str) -> String {
        let (status, body) = self
            .get(&self.keys.agent, &format!("/api/v1/requests/{rid}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["request"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates an approval request through the original API; asserts it was accepted.
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

    /// The original API's status of a request (platform `test`); `extra` is appended to the
    /// query (e.g. `&wait=30`).
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
