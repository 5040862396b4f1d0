//! The Slack channel on the [`Channel`] seam: deliver posts the card, update rewrites it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use serde_json::{json, Value};

use super::api::SlackApi;
use super::blocks::message;
use super::config::SlackConfig;
use super::inbound::{self, SlackInbound};
use crate::channels::chat::act::ChatInbound;
use crate::channels::chat::card::card;
use crate::channels::chat::Directory;
use crate::channels::http::client;
use crate::channels::schedule::from_schedule;
use crate::channels::{Channel, ChannelError, Delivered, DeliveryError};
use crate::core::Hub;
use crate::record::RequestRecord;
use crate::store::Delivery;

/// A running Slack channel (see [`super`]).
pub struct SlackChannel {
    name: String,
    config: SlackConfig,
    inbound: Arc<SlackInbound>,
}

impl std::fmt::Debug for SlackChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SlackChannel({})", self.name)
    }
}

impl SlackChannel {
    /// The channel `config` describes, on `hub`, naming people through `directory`.
    pub async fn start(
        hub: Hub,
        config: SlackConfig,
        directory: Arc<Directory>,
    ) -> Result<Arc<Self>, ChannelError> {
        let chat =
            ChatInbound::start(hub, "slack", &config.name, &config.routes, directory).await?;
        let name = chat.channel.clone();
        let api = SlackApi {
            http: client(config.timeout).map_err(ChannelError::Config)?,
            base: config.api_base.clone(),
            token: config.bot_token.clone(),
        };
        let inbound = Arc::new(SlackInbound {
            chat,
            api,
            path_name: config.name.clone(),
            signing_secret: config.signing_secret.clone(),
            language: config.language,
        });
        Ok(Arc::new(Self {
            name,
            config,
            inbound,
        }))
    }

    fn message(&self, record: &RequestRecord) -> Value {
        let chat = &self.inbound.chat;
        message(
            &card(record, self.config.language, &chat.directory),
            &record.id,
        )
    }
}

/// Where a delivered message is: (channel, ts), from the delivery's data.
fn posted(delivery: &Delivery) -> Result<(String, String), DeliveryError> {
    let data = delivery.data.as_ref();
    let field = |key: &str| {
        data.and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match (field("channel"), field("ts")) {
        (Some(channel), Some(ts)) => Ok((channel, ts)),
        _ => Err(DeliveryError::Permanent(
            "the delivery does not say where its message is".into(),
        )),
    }
}

#[async_trait]
impl Channel for SlackChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn recipients(&self, record: &RequestRecord) -> Vec<String> {
        self.inbound.chat.routes.recipients(record)
    }

    fn escalation_recipients(&self, record: &RequestRecord, people: &[String]) -> Vec<String> {
        self.inbound.chat.escalation_recipients(record, people)
    }

    async fn deliver(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<Delivered, DeliveryError> {
        if let Some(skipped) = Delivered::unless_pending(record, "posted") {
            return Ok(skipped);
        }
        let api = &self.inbound.api;
        let channel = api.conversation(&delivery.recipient).await?;
        let mut body = self.message(record);
        body["channel"] = json!(channel);
        body["unfurl_links"] = json!(false);
        let posted = api.call("chat.postMessage", &body).await?;
        let channel = posted["channel"].as_str().unwrap_or(&channel).to_owned();
        let Some(ts) = posted["ts"].as_str() else {
            return Err(DeliveryError::Retry(
                "Slack chat.postMessage: no ts in the answer".into(),
            ));
        };
        Ok(Delivered::Sent {
            reference: format!("{channel}/{ts}"),
            data: Some(json!({"channel": channel, "ts": ts})),
        })
    }

    async fn update(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<(), DeliveryError> {
        let (channel, ts) = posted(delivery)?;
        let mut body = self.message(record);
        body["channel"] = json!(channel);
        body["ts"] = json!(ts);
        self.inbound.api.call("chat.update", &body).await.map(drop)
    }

    fn retry_delay(&self, failures: u32) -> Option<Duration> {
        from_schedule(&self.config.retry, failures)
    }

    fn routes(&self) -> Option<Router> {
        Some(inbound::routes(self.inbound.clone()))
    }
}
