//! The webhook channel's deliveries: every event of a routed request POSTed as signed JSON.
//! A success is any 2xx; a time-out, a connection failure, a 5xx, 408 and 429 are tried again
//! on the channel's schedule; any other answer (a 4xx, a redirect — never followed) is given
//! up, and the reason is kept with the delivery.

use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use reqwest::StatusCode;

use super::config::WebhookConfig;
use super::event::{Event, EventType};
use super::signature;
use super::WebhookChannel;
use crate::channels::schedule::from_schedule;
use crate::channels::{Channel, Delivered, DeliveryError};
use crate::record::{now_ms, RequestRecord};
use crate::store::Delivery;

/// How much of a failing receiver's answer is kept as the reason.
const REASON_BYTES: usize = 200;

impl WebhookChannel {
    /// POSTs one event; the `webhook-id` it was sent with.
    async fn post(&self, kind: EventType, record: &RequestRecord) -> Result<String, DeliveryError> {
        let event = Event {
            kind,
            request: record,
        };
        let id = event.id();
        let body = serde_json::to_vec(&event)
            .map_err(|e| DeliveryError::Permanent(format!("the event cannot be written: {e}")))?;
        let timestamp = now_ms() / 1000;
        let signature = signature::sign(&self.config.secrets, &id, timestamp, &body);
        let sent = self
            .http
            .post(&self.config.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return Err(DeliveryError::Retry(format!(
                    "no answer within {:?}",
                    self.config.timeout
                )))
            }
            Err(e) => {
                return Err(DeliveryError::Retry(format!(
                    "cannot reach the receiver: {e}"
                )))
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(id);
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let said = response.text().await.unwrap_or_default();
        let said: String = said.chars().take(REASON_BYTES).collect();
        let reason = match location {
            Some(to) if status.is_redirection() => {
                format!("HTTP {status}: redirected to {to} (webhooks do not follow redirects)")
            }
            _ if said.trim().is_empty() => format!("HTTP {status}"),
            _ => format!("HTTP {status}: {}", said.trim()),
        };
        let passing = status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS;
        Err(if passing {
            DeliveryError::Retry(reason)
        } else {
            DeliveryError::Permanent(reason)
        })
    }
}

/// An HTTP client for one receiver: its time-out, no redirects, no cookies.
/// Whether a request goes to this webhook: its tenant (if one is set) and platforms.
pub(super) fn routed(config: &WebhookConfig, tenant: Option<i64>, record: &RequestRecord) -> bool {
    let tenant_fits = tenant.is_none_or(|t| t == record.tenant);
    let platform_fits = config
        .platforms
        .as_ref()
        .is_none_or(|platforms| platforms.iter().any(|p| p == &record.platform));
    tenant_fits && platform_fits
}

#[async_trait]
impl Channel for WebhookChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn recipients(&self, record: &RequestRecord) -> Vec<String> {
        if routed(&self.config, self.tenant, record) {
            vec![String::new()]
        } else {
            Vec::new()
        }
    }

    async fn deliver(
        &self,
        record: &RequestRecord,
        _delivery: &Delivery,
    ) -> Result<Delivered, DeliveryError> {
        let reference = self.post(EventType::Created, record).await?;
        Ok(Delivered::Sent {
            reference,
            data: None,
        })
    }

    async fn update(
        &self,
        record: &RequestRecord,
        _delivery: &Delivery,
    ) -> Result<(), DeliveryError> {
        self.post(EventType::Updated, record).await.map(drop)
    }

    fn retry_delay(&self, failures: u32) -> Option<Duration> {
        from_schedule(&self.config.retry, failures)
    }

    fn routes(&self) -> Option<Router> {
        Some(super::inbound::routes(self.inbound.clone()))
    }
}
