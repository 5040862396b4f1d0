//! The WeCom channel on the [`Channel`] seam: deliver sends the card (approvals: a card takes
//! no typed answer), update closes every copy with the send-time `response_code`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use gohumanloop::model::{LoopType, Status};
use serde_json::{json, Value};

use super::api::WecomApi;
use super::approval;
use super::config::WecomConfig;
use super::crypto::WecomCrypto;
use super::inbound::{self, WecomInbound};
use super::render::{cut, task_id, REPLACE_NAME};
use crate::channels::chat::act::ChatInbound;
use crate::channels::chat::card::{card, closing};
use crate::channels::chat::Directory;
use crate::channels::http::client;
use crate::channels::schedule::from_schedule;
use crate::channels::{Channel, ChannelError, Delivered, DeliveryError};
use crate::core::Hub;
use crate::record::RequestRecord;
use crate::store::Delivery;

/// A running WeCom channel (see [`super`]).
pub struct WecomChannel {
    name: String,
    config: WecomConfig,
    inbound: Arc<WecomInbound>,
}

impl std::fmt::Debug for WecomChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WecomChannel({})", self.name)
    }
}

impl WecomChannel {
    /// The channel `config` describes, on `hub`, naming people through `directory`.
    pub async fn start(
        hub: Hub,
        config: WecomConfig,
        directory: Arc<Directory>,
    ) -> Result<Arc<Self>, ChannelError> {
        let crypto = WecomCrypto::new(&config.token, &config.encoding_aes_key, &config.corp_id)
            .map_err(|e| ChannelError::Config(format!("wecom '{}': {e}", config.name)))?;
        let chat =
            ChatInbound::start(hub, "wecom", &config.name, &config.routes, directory).await?;
        let name = chat.channel.clone();
        let http = client(config.timeout).map_err(ChannelError::Config)?;
        let api = WecomApi::new(
            http,
            &config.base_url,
            config.corp_id.clone(),
            config.secret.clone(),
        );
        let inbound = Arc::new(WecomInbound {
            chat,
            api,
            crypto,
            path_name: config.name.clone(),
            corp_id: config.corp_id.clone(),
            reasons: config.reasons.clone(),
            language: config.language,
        });
        Ok(Arc::new(Self {
            name,
            config,
            inbound,
        }))
    }
}

fn data_field(delivery: &Delivery, key: &str) -> Option<String> {
    delivery
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[async_trait]
impl Channel for WecomChannel {
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
            Some(Ok(template_id)) => {
                let card = card(record, self.config.language, &chat.directory);
                let (api, field) = (&self.inbound.api, &self.config.approval_field);
                return approval::apply(api, template_id, field, &card, &delivery.recipient).await;
            }
            None => {}
        }
        if record.loop_type != LoopType::Approval {
            return Ok(Delivered::Skipped(
                "a WeCom card takes no typed answer: information and conversation requests are answered in the inbox or another channel".into(),
            ));
        }
        let task = task_id(&record.id, &delivery.recipient);
        let body = json!({
            "touser": delivery.recipient,
            "msgtype": "template_card",
            "agentid": self.config.agent_id,
            "template_card": self.inbound.template_card(record, &task),
            "enable_duplicate_check": 0,
        });
        let sent = self
            .inbound
            .api
            .post("WeCom message/send", "/cgi-bin/message/send", &body)
            .await?;
        // Kept unused at the click, so that a decision on another channel can still close
        // this copy (each response_code allows one update).
        let response_code = sent["response_code"].as_str().unwrap_or_default();
        Ok(Delivered::Sent {
            reference: task.clone(),
            data: Some(json!({"task_id": task, "response_code": response_code,
                              "msgid": sent["msgid"], "user": delivery.recipient})),
        })
    }

    async fn update(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<(), DeliveryError> {
        // An application cannot be withdrawn through WeCom's API; a card can be closed.
        let application = delivery
            .data
            .as_ref()
            .is_some_and(|d| d["mode"] == "approval");
        if record.status == Status::Pending || application {
            return Ok(());
        }
        let Some(code) = data_field(delivery, "response_code").filter(|c| !c.is_empty()) else {
            return Err(DeliveryError::Permanent(
                "WeCom gave no response_code for this card: it cannot be updated".into(),
            ));
        };
        let chat = &self.inbound.chat;
        let label = closing(record, self.config.language, &chat.directory);
        let body = json!({
            "userids": [delivery.recipient],
            "agentid": self.config.agent_id,
            "response_code": code,
            "button": {"replace_name": cut(&label, REPLACE_NAME)},
        });
        self.inbound
            .api
            .post(
                "WeCom update_template_card",
                "/cgi-bin/message/update_template_card",
                &body,
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
