//! A fake platform API on loopback: it records every call (method, path, query, headers, body)
//! and answers with what the test's responder says.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::sync::Notify;

/// One call the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub json: Value,
    pub raw: Vec<u8>,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }
}

/// What the fake answers a call with: status and JSON body.
pub type Responder = Arc<dyn Fn(&Call) -> (u16, Value) + Send + Sync>;

struct Shared {
    calls: Mutex<Vec<Call>>,
    arrived: Notify,
    respond: Responder,
}

/// A running fake.
#[derive(Clone)]
pub struct Fake {
    pub url: String,
    shared: Arc<Shared>,
}

async fn record(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw: Bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let call = Call {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        json: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw: raw.to_vec(),
        at: std::time::Instant::now(),
    };
    let (status, body) = (shared.respond)(&call);
    shared.calls.lock().unwrap().push(call);
    shared.arrived.notify_waiters();
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

impl Fake {
    /// Starts a fake answering with `respond`.
    pub async fn start(respond: impl Fn(&Call) -> (u16, Value) + Send + Sync + 'static) -> Self {
        let shared = Arc::new(Shared {
            calls: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            respond: Arc::new(respond),
        });
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, shared }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// The calls to `path` so far.
    pub fn calls_to(&self, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.path == path)
            .collect()
    }

    /// How many calls to paths starting with `path` (by `method`) arrived so far, and when the
    /// last of them did.
    pub fn count(&self, method: &str, path: &str) -> (usize, Option<std::time::Instant>) {
        let calls = self.shared.calls.lock().unwrap();
        let mut matching = calls
            .iter()
            .filter(|c| c.method == method && c.path.starts_with(path));
        let last = matching.next_back().map(|c| c.at);
        (matching.count() + usize::from(last.is_some()), last)
    }

    /// Waits (at most 60 s) until `enough` calls to paths starting with `path` (by `method`)
    /// arrived; when the last of them did.
    pub async fn until_count(&self, method: &str, path: &str, enough: usize) -> std::time::Instant {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let arrived = self.shared.arrived.notified();
            if let (count, Some(last)) = self.count(method, path) {
                if count >= enough {
                    return last;
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "within 60 s: {enough} calls to {method} {path}, got {}",
                    self.count(method, path).0
                );
            }
        }
    }

    /// Waits (at most 20 s) until `enough` holds for the calls so far; returns them.
    pub async fn until(&self, what: &str, enough: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let arrived = self.shared.arrived.notified();
            let calls = self.calls();
            if enough(&calls) {
                return calls;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("within 20 s: {what}; calls: {:#?}", self.calls());
            }
        }
    }
}
