//! The Feishu channel on the [`Channel`] seam: deliver sends the card (or, on an OA route,
//! creates the approval instance), update patches it (or cancels the instance).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use reqwest::Method;
use serde_json::{json, Value};

use super::api::{receive_id, FeishuApi};
use super::approval;
use super::config::FeishuConfig;
use super::inbound::APPROVER_PREFIX;
use super::inbound::{self, FeishuInbound};
use crate::channels::chat::act::ChatInbound;
use crate::channels::chat::card::card;
use crate::channels::chat::Directory;
use crate::channels::http::client;
use crate::channels::schedule::from_schedule;
use crate::channels::{Channel, ChannelError, Delivered, DeliveryError};
use crate::core::Hub;
use crate::record::RequestRecord;
use crate::store::Delivery;

/// A running Feishu / Lark channel (see [`super`]).
pub struct FeishuChannel {
    name: String,
    config: FeishuConfig,
    inbound: Arc<FeishuInbound>,
}

impl std::fmt::Debug for FeishuChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FeishuChannel({})", self.name)
    }
}

impl FeishuChannel {
    /// The channel `config` describes, on `hub`, naming people through `directory`.
    pub async fn start(
        hub: Hub,
        config: FeishuConfig,
        directory: Arc<Directory>,
    ) -> Result<Arc<Self>, ChannelError> {
        let chat =
            ChatInbound::start(hub, "feishu", &config.name, &config.routes, directory).await?;
        let name = chat.channel.clone();
        let http = client(config.timeout).map_err(ChannelError::Config)?;
        let api = FeishuApi::new(
            http,
            config.base_url.clone(),
            config.app_id.clone(),
            config.app_secret.clone(),
        );
        let inbound = Arc::new(FeishuInbound {
            chat,
            api,
            path_name: config.name.clone(),
            encrypt_key: config.encrypt_key.clone(),
            verification_token: config.verification_token.clone(),
            language: config.language,
        });
        Ok(Arc::new(Self {
            name,
            config,
            inbound,
        }))
    }
}

/// The message a delivery sent, from its data.
fn message_id(delivery: &Delivery) -> Result<String, DeliveryError> {
    delivery
        .data
        .as_ref()
        .and_then(|d| d.get("message_id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| DeliveryError::Permanent("the delivery does not name its message".into()))
}

#[async_trait]
impl Channel for FeishuChannel {
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
        if let Some(skipped) = Delivered::unless_pending(record, "sent") {
            return Ok(skipped);
        }
        let chat = &self.inbound.chat;
        match chat.routes.approval_for(record, &delivery.recipient) {
            Some(Err(why)) => return Ok(Delivered::Skipped(why.into())),
            Some(Ok(approval_code)) => {
                let card = card(record, self.config.language, &chat.directory);
                let (api, field) = (&self.inbound.api, &self.config.approval_field);
                return approval::create(
                    api,
                    approval_code,
                    field,
                    record,
                    &card,
                    &delivery.recipient,
                )
                .await;
            }
            None => {}
        }
        let (kind, id) = receive_id(&delivery.recipient);
        let card = self.inbound.card(record);
        let body = json!({"receive_id": id, "msg_type": "interactive",
                          "content": card.to_string(), "uuid": format!("{}-{}", record.id, short(id))});
        let path = format!("/open-apis/im/v1/messages?receive_id_type={kind}");
        let sent = self
            .inbound
            .api
            .call("Feishu send message", Method::POST, &path, &body)
            .await?;
        let Some(message_id) = sent["message_id"].as_str() else {
            return Err(DeliveryError::Retry(
                "Feishu send message: no message_id".into(),
            ));
        };
        Ok(Delivered::Sent {
            reference: message_id.to_owned(),
            data: Some(json!({"message_id": message_id})),
        })
    }

    async fn update(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<(), DeliveryError> {
        if let Some(data) = delivery.data.as_ref().filter(|d| d["mode"] == "approval") {
            let decided_there = record.responded_by.as_deref()
                == Some(&format!(
                    "{}{}",
                    APPROVER_PREFIX,
                    delivery.reference.as_deref().unwrap_or("")
                ));
            if record.status == gohumanloop::model::Status::Pending || decided_there {
                return Ok(());
            }
            return approval::cancel(&self.inbound.api, data).await;
        }
        let message_id = message_id(delivery)?;
        let card = self.inbound.card(record);
        let path = format!("/open-apis/im/v1/messages/{message_id}");
        self.inbound
            .api
            .call(
                "Feishu patch message",
                Method::PATCH,
                &path,
                &json!({"content": card.to_string()}),
            )
            .await
            .map(drop)
    }

    fn retry_delay(&self, failures: u32) -> Option<Duration> {
        from_schedule(&self.config.retry, failures)
    }

    fn routes(&self) -> Option<Router> {
        Some(inbound::routes(self.inbound.clone()))
    }
}

/// A recipient id shortened for the send's idempotency `uuid` (at most 50 characters in all).
fn short(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect()
}
