//! `Interrupts`: durable interrupt / resume (`gohumanloop::interrupt`) — ask, stop with a
//! token, resume from any process, once.

use std::sync::Arc;
use std::time::Duration;

use gohumanloop::interrupt::{self, Resumed, Token};
use gohumanloop::providers::hub::{HubClient, HubProvider, HUB_PLATFORM};
use pyo3::prelude::*;
use serde_json::{json, Value};

use crate::errors::{failed, to_py};
use crate::manager::Spec;
use crate::providers::Provider;
use crate::runtime::{entered, parse, sync_and_async, text};

/// Interrupts on one backend.
#[pyclass(module = "gohumanloop_rs._native", frozen)]
pub(crate) struct Interrupts {
    inner: interrupt::Interrupts,
}

fn decode(token: &str) -> PyResult<Token> {
    Token::decode(token).map_err(to_py)
}

fn wait_of(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|e| failed(format!("wait: {e}")))
}

/// What a resume found, as JSON: `{"outcome": "answered" | "pending" | "already_resumed",
/// "result": {...}, "state": ...}`.
fn resumed(r: Resumed) -> PyResult<String> {
    let (outcome, result, state) = match r {
        Resumed::Answered { result, state } => ("answered", result, state),
        Resumed::Pending(result) => ("pending", result, Value::Null),
        Resumed::AlreadyResumed(result) => ("already_resumed", result, Value::Null),
    };
    text(&json!({"outcome": outcome, "result": result, "state": state}))
}

sync_and_async! {
    impl Interrupts {
        /// Durable interrupts through the hub: `api_base_url` and `api_key` default to
        /// `GOHUMANLOOP_API_BASE_URL` / `GOHUMANLOOP_API_KEY`; requests are filed under
        /// `platform` (default `GoHumanLoop`).
        #[staticmethod]
        #[pyo3(signature = (api_base_url = None, api_key = None, platform = None))]
        fn hub(
            api_base_url: Option<String>,
            api_key: Option<String>,
            platform: Option<String>,
        ) -> PyResult<Self> {
            let (url, key) = match (api_base_url, api_key) {
                (Some(url), Some(key)) => (url, key),
                (url, key) => {
                    let options = HubProvider::options_from_env().map_err(failed)?;
                    (
                        url.unwrap_or(options.base_url),
                        key.or(options.api_key).unwrap_or_default(),
                    )
                }
            };
            let client = entered(|| HubClient::new(&url, key))?.map_err(failed)?;
            let backend = interrupt::Hub::new(client)
                .platform(platform.unwrap_or_else(|| HUB_PLATFORM.to_owned()));
            Ok(Self { inner: interrupt::Interrupts::new(Arc::new(backend)) })
        }

        /// Interrupts through a provider of this process (e.g. the terminal): resumable while
        /// the process lives.
        #[staticmethod]
        fn local(provider: &Provider) -> Self {
            let backend = interrupt::Local::new(provider.inner.clone());
            Self { inner: interrupt::Interrupts::new(Arc::new(backend)) }
        }

        /// The backend's name (the `provider` of its tokens).
        #[getter]
        fn name(&self) -> String {
            self.inner.name().to_owned()
        }
    }
    calls {
        /// Asks (a request described as JSON, with the caller's state as JSON) and returns the
        /// token (text) to resume with; `turn`: the next turn of `conversation_id`'s
        /// conversation. The same ids again file nothing new.
        fn interrupt / ainterrupt(spec: String, state: String, turn: bool) -> String = |i| {
            let request = Spec::from_text(&spec)?.into_request();
            let state = parse("the state", &state)?;
            let token = if turn {
                i.interrupt_turn(request, state).await
            } else {
                i.interrupt(request, state).await
            };
            Ok(token.map_err(to_py)?.encode())
        };
        /// Waits up to `wait` seconds for the answer, then claims the resume (JSON: see
        /// `resumed`).
        fn resume / aresume(token: String, wait: f64) -> String = |i| {
            let (token, wait) = (decode(&token)?, wait_of(wait)?);
            resumed(i.resume(&token, wait).await.map_err(to_py)?)
        };
        /// Where the interrupted request stands after waiting up to `wait` seconds for an
        /// answer, without resuming it (JSON).
        fn follow / afollow(token: String, wait: f64) -> String = |i| {
            let (token, wait) = (decode(&token)?, wait_of(wait)?);
            text(&i.follow(&token, wait).await.map_err(to_py)?)
        };
    }
}
