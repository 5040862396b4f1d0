//! `ApiProvider`: asks humans through any server of the original HTTP protocol — `ghl serve`,
//! the original's mock server, hub, or its Feishu / WeCom services (protocol reference §2.3).
//!
//! Options and defaults are the original `APIProvider`'s. The differences are on purpose: where
//! the server honours `wait` (the hub does) the provider long-polls, so an answer arrives at
//! once instead of at the next 5-second poll; and a request always ends — a server that
//! disappears, answers 404/5xx or non-JSON leads to `error` (after `give_up_after`) or `expired`
//! (at the deadline), never to an endless `pending` (the original's worst bug, §6.4 #1).
//!
//! ```no_run
//! use std::sync::Arc;
//! use gohumanloop::providers::api::{ApiOptions, ApiProvider};
//! use gohumanloop::Manager;
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let options = ApiOptions::new("http://127.0.0.1:8000/api")
//!     .api_key("ghl_…")
//!     .default_platform("ghl");
//! let manager = Manager::with_provider(Arc::new(ApiProvider::connect("hub", options)?))?;
//! # Ok(()) }
//! ```

pub(crate) mod client;
mod follow;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use self::client::Client;
use crate::model::wire::{
    CancelConversationBody, CancelRequestBody, ContinueRequestBody, CreateRequestBody, StatusQuery,
};
use crate::model::HumanLoopRequest;
use crate::provider::{Delivery, Ledger, LocalProvider, ProviderError};

/// The original's error when no platform can be worked out (sent nowhere).
pub const NO_PLATFORM: &str = "Platform not specified. Please set 'platform' in metadata or set default_platform during initialization";

/// How to reach the server, and how patiently.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// `http(s)://host[:port]/api` (a trailing `/` is dropped).
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// The platform of requests whose `metadata.platform` is not set.
    pub default_platform: Option<String>,
    /// How long one HTTP call may take (default 30 s).
    pub request_timeout: Duration,
    /// Between two status polls on servers that do not long-poll (default 5 s).
    pub poll_interval: Duration,
    /// Attempts per call, 1 s, 2 s, … apart (default 3).
    pub max_retries: u32,
    /// A request whose status cannot be read for this long ends with `error` (default 5 min).
    pub give_up_after: Duration,
}

impl ApiOptions {
    /// The original's defaults for a server at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            default_platform: None,
            request_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(5),
            max_retries: 3,
            give_up_after: Duration::from_secs(300),
        }
    }

    /// Sets the key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Sets the default platform.
    pub fn default_platform(mut self, platform: impl Into<String>) -> Self {
        self.default_platform = Some(platform.into());
        self
    }

    /// Sets the HTTP timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the poll interval.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets the attempts per call.
    pub fn max_retries(mut self, attempts: u32) -> Self {
        self.max_retries = attempts;
        self
    }

    /// Sets how long an unreadable status is tolerated.
    pub fn give_up_after(mut self, limit: Duration) -> Self {
        self.give_up_after = limit;
        self
    }
}

/// The delivery of an [`ApiProvider`]: the server.
pub struct Api {
    client: Arc<Client>,
    options: Arc<ApiOptions>,
}

/// A provider that asks through a server of the protocol.
pub type ApiProvider = LocalProvider<Api>;

impl LocalProvider<Api> {
    /// A provider called `name` for the server `options` name; fails on a base URL that is not
    /// `http://` or `https://`.
    pub fn connect(name: impl Into<String>, options: ApiOptions) -> Result<Self, ProviderError> {
        let client = Client::new(&options).map_err(ProviderError::Failed)?;
        Ok(Self::with_delivery(
            name,
            Api {
                client: Arc::new(client),
                options: Arc::new(options),
            },
        ))
    }
}

impl Api {
    /// `metadata.platform`, else the default platform.
    fn platform(&self, request: &HumanLoopRequest) -> Result<String, ProviderError> {
        request
            .metadata
            .get("platform")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.options.default_platform.clone())
            .ok_or_else(|| ProviderError::Failed(NO_PLATFORM.to_owned()))
    }

    /// Sends a POST; a reply without `success: true` is a failure with the server's message.
    async fn call(&self, endpoint: &str, body: &impl serde::Serialize) -> Result<(), String> {
        let reply = self.client.post(endpoint, body).await?;
        if reply.get("success") == Some(&json!(true)) {
            Ok(())
        } else {
            Err(reply
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("API request failed without error message")
                .to_owned())
        }
    }

    fn follow(&self, request: &HumanLoopRequest, platform: String, ledger: Ledger) {
        let query = StatusQuery {
            conversation_id: request.conversation_id.clone(),
            request_id: request.request_id.clone().unwrap_or_default(),
            platform,
        };
        tokio::spawn(follow::follow(
            self.client.clone(),
            self.options.clone(),
            ledger,
            query,
        ));
    }
}

#[async_trait]
impl Delivery for Api {
    async fn deliver(
        &self,
        request: HumanLoopRequest,
        ledger: Ledger,
    ) -> Result<(), ProviderError> {
        let platform = self.platform(&request)?;
        let body = CreateRequestBody {
            task_id: request.task_id.clone(),
            conversation_id: request.conversation_id.clone(),
            request_id: request.request_id.clone().unwrap_or_default(),
            loop_type: request.loop_type,
            context: request.context.clone(),
            platform: platform.clone(),
            metadata: request.metadata.clone(),
            timeout: request.timeout.filter(|t| *t > 0),
        };
        self.call("request", &body)
            .await
            .map_err(ProviderError::Failed)?;
        self.follow(&request, platform, ledger);
        Ok(())
    }

    async fn deliver_continue(
        &self,
        request: HumanLoopRequest,
        ledger: Ledger,
    ) -> Result<(), ProviderError> {
        let platform = self.platform(&request)?;
        let body = ContinueRequestBody {
            conversation_id: request.conversation_id.clone(),
            request_id: request.request_id.clone().unwrap_or_default(),
            task_id: request.task_id.clone(),
            context: request.context.clone(),
            platform: platform.clone(),
            metadata: request.metadata.clone(),
            timeout: request.timeout.filter(|t| *t > 0),
        };
        self.call("continue", &body)
            .await
            .map_err(ProviderError::Failed)?;
        self.follow(&request, platform, ledger);
        Ok(())
    }

    async fn cancelled(&self, request: HumanLoopRequest, _ledger: Ledger) {
        let Ok(platform) = self.platform(&request) else {
            return;
        };
        let body = CancelRequestBody {
            conversation_id: request.conversation_id.clone(),
            request_id: request.request_id.clone().unwrap_or_default(),
            platform,
        };
        // Cancelled here whatever the server says (as the original); the server may have
        // recorded an answer first, which a status check would show.
        if let Err(e) = self.call("cancel", &body).await {
            tracing::warn!(error = %e, "the server did not take the cancellation");
        }
    }

    async fn conversation_cancelled(&self, requests: Vec<HumanLoopRequest>, ledger: Ledger) {
        let Some(any) = requests.first() else {
            return;
        };
        let conversation_id = any.conversation_id.clone();
        // The platform of the conversation's first request, as the original.
        let first = ledger
            .history(&conversation_id)
            .first()
            .and_then(|h| ledger.request(&conversation_id, &h.request_id))
            .unwrap_or_else(|| any.clone());
        let Ok(platform) = self.platform(&first) else {
            return;
        };
        let body = CancelConversationBody {
            conversation_id,
            platform,
        };
        let mut outcome = self.call("cancel_conversation", &body).await;
        if outcome.as_ref().is_err_and(|e| e.contains("404")) {
            // The Go services registered the route misspelt.
            outcome = self.call("cancel_converstation", &body).await;
        }
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "the server did not take the cancellation");
        }
    }

    fn describe(&self) -> String {
        format!("API Provider ({})", self.options.base_url)
    }
}
