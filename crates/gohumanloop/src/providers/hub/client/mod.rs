//! [`HubClient`]: a typed client of the hub's own API — the answering API
//! (`/api/v1/requests…`: list, read and answer requests), its event stream, and the two calls
//! of the original protocol an agent needs to ask and wait without a [`Manager`](crate::Manager)
//! (create, status).
//!
//! Every call is one HTTP request; the caller decides whether to try again
//! ([`HubError::is_transient`]). A late answer is [`HubError::Conflict`], naming who won.
//!
//! ```no_run
//! use gohumanloop::providers::hub::{HubClient, HubError, ListFilter};
//!
//! # async fn demo() -> Result<(), HubError> {
//! let hub = HubClient::new("http://127.0.0.1:8000", "ghl_…")?;
//! let page = hub.list(&ListFilter::pending().limit(10)).await?;
//! for request in &page.requests {
//!     match hub.approve(&request.id, Some("looks fine")).await {
//!         Ok(now) => println!("{} is now {}", now.id, now.status),
//!         Err(HubError::Conflict(won)) => println!("too late: {:?} won", won.responded_by),
//!         Err(e) => return Err(e),
//!     }
//! }
//! # Ok(()) }
//! ```

mod answering;
mod asking;
mod error;
mod events;
mod list;
mod view;

pub use error::{BoxError, Conflict, HubError};
pub use events::EventStream;
pub use list::{ListFilter, RequestPage};
pub use view::{AuditEntry, RequestDetail, RequestView};

use std::fmt;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// For calls without a body.
const NO_BODY: Option<&()> = None;

/// A connection to one hub with one API key. Cheap to clone (the connections are shared).
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl fmt::Debug for HubClient {
    /// The hub's URL; never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HubClient {
    /// A client of the hub at `hub_url` (`http(s)://HOST[:PORT]`; a trailing `/` or `/api` is
    /// accepted too) that calls with `key`.
    pub fn new(hub_url: &str, key: impl Into<String>) -> Result<Self, HubError> {
        let trimmed = hub_url.trim_end_matches('/');
        let base = trimmed.strip_suffix("/api").unwrap_or(trimmed).to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(HubError::BadUrl(hub_url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| HubError::Setup(Box::new(e)))?;
        Ok(Self {
            http,
            base,
            key: key.into(),
        })
    }

    /// The same hub with another key, sharing this client's connections (e.g. one client per
    /// caller of a service that forwards each caller's own key).
    pub fn with_key(&self, key: impl Into<String>) -> Self {
        Self {
            http: self.http.clone(),
            base: self.base.clone(),
            key: key.into(),
        }
    }

    /// The hub's base URL (`http(s)://HOST[:PORT]`, without `/api`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `BASE/api/v1/` and the path's segments, each percent-encoded (an id may hold any
    /// character).
    fn url(&self, segments: &[&str]) -> String {
        let mut url = format!("{}/api/v1", self.base);
        for segment in segments {
            url.push('/');
            encode_segment(segment, &mut url);
        }
        url
    }

    /// A request to `segments` with the key.
    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.http
            .request(method, self.url(segments))
            .bearer_auth(&self.key)
    }

    /// Sends; a failure to get a reply is [`HubError::Unreachable`] or
    /// [`HubError::Transport`].
    async fn send(&self, request: RequestBuilder) -> Result<reqwest::Response, HubError> {
        request.send().await.map_err(|e| self.transport(e))
    }

    fn transport(&self, e: reqwest::Error) -> HubError {
        let base = self.base.clone();
        if e.is_connect() {
            HubError::Unreachable {
                base,
                source: Box::new(e),
            }
        } else {
            HubError::Transport {
                base,
                source: Box::new(e),
            }
        }
    }

    /// One call: the reply's body as `T` when the hub answered 2xx with `success: true`, else
    /// the hub's error.
    async fn call<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, HubError> {
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        let response = self.send(request).await?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| HubError::NotJson {
            status: status.as_u16(),
        })?;
        if !status.is_success() || body.get("success") != Some(&Value::Bool(true)) {
            return Err(refusal(status, &body));
        }
        serde_json::from_value(body).map_err(|e| HubError::BadReply {
            status: status.as_u16(),
            detail: e.to_string(),
        })
    }
}

/// The error a reply stands for: its `error` text (else `HTTP <status>`), typed by its status.
fn refusal(status: StatusCode, body: &Value) -> HubError {
    let message = body
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => HubError::Unauthorized {
            status: status.as_u16(),
            message,
        },
        StatusCode::NOT_FOUND => HubError::NotFound { message },
        StatusCode::UNPROCESSABLE_ENTITY => HubError::Refused { message },
        // A 409 names the winner's status; one without (an ambiguous `request_id`) is not a lost
        // race.
        StatusCode::CONFLICT => match text("status").and_then(|s| s.parse().ok()) {
            Some(won) => HubError::Conflict(Conflict {
                message,
                status: won,
                responded_by: text("responded_by"),
                responded_at: text("responded_at"),
            }),
            None => HubError::Failed {
                status: status.as_u16(),
                message,
            },
        },
        _ => HubError::Failed {
            status: status.as_u16(),
            message,
        },
    }
}

/// Appends `segment` percent-encoded (all but RFC 3986's unreserved characters).
fn encode_segment(segment: &str, out: &mut String) {
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use serde_json::json;

    #[test]
    fn the_url_is_normalised_and_checked() {
        for url in [
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/",
            "http://127.0.0.1:8000/api",
            "http://127.0.0.1:8000/api/",
        ] {
            let hub = HubClient::new(url, "k");
            assert_eq!(
                hub.as_ref().map(HubClient::base).ok(),
                Some("http://127.0.0.1:8000"),
                "{url}"
            );
        }
        let bad = HubClient::new("127.0.0.1:8000", "k");
        assert!(matches!(bad, Err(HubError::BadUrl(ref u)) if u == "127.0.0.1:8000"));
    }

    #[test]
    fn ids_are_one_path_segment() {
        let hub = HubClient::new("http://h:1", "k").map_err(|e| e.to_string());
        assert_eq!(
            hub.map(|h| h.url(&["requests", "a/b?c d#é", "approve"])),
            Ok("http://h:1/api/v1/requests/a%2Fb%3Fc%20d%23%C3%A9/approve".to_owned())
        );
    }

    #[test]
    fn error_bodies_are_typed_by_status() {
        let body = json!({"success": false, "error": "request r is already approved by alice at T",
            "status": "approved", "responded_by": "alice", "responded_at": "T"});
        let HubError::Conflict(won) = refusal(StatusCode::CONFLICT, &body) else {
            panic!("a conflict");
        };
        assert_eq!(
            (
                won.status,
                won.responded_by.as_deref(),
                won.responded_at.as_deref()
            ),
            (Status::Approved, Some("alice"), Some("T"))
        );
        let ambiguous = json!({"success": false, "error": "request_id r names several requests"});
        assert!(matches!(
            refusal(StatusCode::CONFLICT, &ambiguous),
            HubError::Failed { status: 409, .. }
        ));
        let e = refusal(
            StatusCode::FORBIDDEN,
            &json!({"error": "Invalid or revoked API key"}),
        );
        assert!(matches!(e, HubError::Unauthorized { status: 403, .. }));
        assert!(e.is_refusal() && !e.is_transient());
        assert_eq!(e.to_string(), "Invalid or revoked API key");
        let e = refusal(StatusCode::SERVICE_UNAVAILABLE, &json!({}));
        assert_eq!(e.to_string(), "HTTP 503 Service Unavailable");
        assert!(e.is_transient() && !e.is_refusal());
        let soft = refusal(StatusCode::OK, &json!({"success": false, "error": "nope"}));
        assert!(!soft.is_transient() && !soft.is_refusal());
        assert!(matches!(
            refusal(StatusCode::UNPROCESSABLE_ENTITY, &json!({"error": "x"})),
            HubError::Refused { .. }
        ));
        assert!(matches!(
            refusal(StatusCode::NOT_FOUND, &json!({"error": "x"})),
            HubError::NotFound { .. }
        ));
    }
}
