//! `Manager`: the library's manager — providers, the task → conversation → request books,
//! waits the provider wakes (no polling loop of ours).

use gohumanloop::model::{JsonObject, LoopType};
use gohumanloop::LoopRequest;
use pyo3::prelude::*;
use serde::Deserialize;

use crate::errors::{failed, to_py};
use crate::providers::Provider;
use crate::runtime::{parse, sync_and_async, text};

/// A manager of the library.
#[pyclass(module = "gohumanloop_rs._native", frozen)]
pub(crate) struct Manager {
    inner: gohumanloop::Manager,
}

/// A request as the Python side describes it (JSON): the fields of `LoopRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    pub(crate) loop_type: LoopType,
    #[serde(default)]
    pub(crate) context: JsonObject,
    #[serde(default)]
    pub(crate) metadata: JsonObject,
    #[serde(default)]
    pub(crate) task_id: Option<String>,
    #[serde(default)]
    pub(crate) conversation_id: Option<String>,
    #[serde(default)]
    pub(crate) request_id: Option<String>,
    #[serde(default)]
    pub(crate) timeout: Option<u64>,
    #[serde(default)]
    pub(crate) provider_id: Option<String>,
}

impl Spec {
    /// The spec from the Python side's JSON text.
    pub(crate) fn from_text(spec: &str) -> PyResult<Self> {
        serde_json::from_value(parse("the request", spec)?)
            .map_err(|e| failed(format!("bad request: {e}")))
    }

    pub(crate) fn into_request(self) -> LoopRequest {
        let mut request = LoopRequest::new(self.loop_type, self.context).metadata(self.metadata);
        request.task_id = self.task_id;
        request.conversation_id = self.conversation_id;
        request.request_id = self.request_id;
        request.timeout = self.timeout;
        request.provider_id = self.provider_id;
        request
    }
}

/// A ticket as JSON text.
fn ticket(t: &gohumanloop::Ticket) -> PyResult<String> {
    text(&serde_json::json!({
        "task_id": t.task_id,
        "conversation_id": t.conversation_id,
        "request_id": t.request_id,
        "provider_id": t.provider_id,
    }))
}

sync_and_async! {
    impl Manager {
        /// An empty manager; `register` providers before asking.
        #[new]
        fn new() -> Self {
            Self { inner: gohumanloop::Manager::new() }
        }

        /// Adds a provider (the first one is the default unless `default` moves it); returns
        /// its id.
        #[pyo3(signature = (provider, default = false))]
        fn register(&self, provider: &Provider, default: bool) -> PyResult<String> {
            let id = self.inner.register(provider.inner.clone()).map_err(to_py)?;
            if default {
                self.inner.set_default_provider(&id).map_err(to_py)?;
            }
            Ok(id)
        }

        /// The registered providers' ids.
        fn provider_ids(&self) -> Vec<String> {
            self.inner.provider_ids()
        }
    }
    calls {
        /// Asks (a request described as JSON); returns the ticket as JSON, at once.
        fn request / arequest(spec: String) -> String = |m| {
            let request = Spec::from_text(&spec)?.into_request();
            ticket(&m.request(request).await.map_err(to_py)?)
        };
        /// Asks and waits for the outcome (JSON).
        fn request_and_wait / arequest_and_wait(spec: String) -> String = |m| {
            let request = Spec::from_text(&spec)?.into_request();
            text(&m.request_and_wait(request).await.map_err(to_py)?)
        };
        /// The next turn of a conversation; returns the ticket (JSON).
        fn continue_conversation / acontinue_conversation(spec: String) -> String = |m| {
            let request = Spec::from_text(&spec)?.into_request();
            ticket(&m.continue_conversation(request).await.map_err(to_py)?)
        };
        /// The next turn of a conversation, waiting for the outcome (JSON).
        fn continue_and_wait / acontinue_and_wait(spec: String) -> String = |m| {
            let request = Spec::from_text(&spec)?.into_request();
            text(&m.continue_and_wait(request).await.map_err(to_py)?)
        };
        /// Waits for a request the manager asked to leave `pending`; its outcome (JSON).
        fn wait_request / await_request(conversation_id: String, request_id: String) -> String = |m| {
            text(&m.wait(&conversation_id, &request_id).await.map_err(to_py)?)
        };
        /// Where a request stands (JSON).
        fn check_request_status / acheck_request_status(conversation_id: String, request_id: String) -> String = |m| {
            text(&m.check_request_status(&conversation_id, &request_id).await.map_err(to_py)?)
        };
        /// Where a conversation's latest request stands (JSON).
        fn check_conversation_status / acheck_conversation_status(conversation_id: String) -> String = |m| {
            text(&m.check_conversation_status(&conversation_id).await.map_err(to_py)?)
        };
        /// Cancels a request; `True` when it is now cancelled.
        fn cancel_request / acancel_request(conversation_id: String, request_id: String) -> bool = |m| {
            m.cancel_request(&conversation_id, &request_id).await.map_err(to_py)
        };
        /// Cancels a conversation's open requests; `False` for an unknown conversation.
        fn cancel_conversation / acancel_conversation(conversation_id: String) -> bool = |m| {
            m.cancel_conversation(&conversation_id).await.map_err(to_py)
        };
    }
}
