//! A webhook channel's settings (`[[webhook]]` in the configuration file).

use std::time::Duration;

use super::signature::WebhookSecret;
use crate::channels::DEFAULT_RETRY_SCHEDULE;

/// One webhook channel.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Its name (`[a-z0-9-]`, unique): the inbound path `/channels/webhook/{name}/decisions`.
    pub name: String,
    /// Where events are POSTed (`http` or `https`).
    pub url: String,
    /// The signing secrets (several during a rotation): each signs every event, one signature
    /// apiece in `webhook-signature`, and a decision signed with any of them is taken.
    pub secrets: Vec<WebhookSecret>,
    /// Only requests of these platforms (`None`: all).
    pub platforms: Option<Vec<String>>,
    /// Only requests of this tenant (`None`: every tenant's).
    pub tenant: Option<String>,
    /// The delays after each failed attempt in a row; past the end, it gives up.
    pub retry: Vec<Duration>,
    /// How long the receiver has to answer.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// A webhook `name` POSTing to `url`, signed with `secret`, with the default schedule
    /// (about a day), a 10-second time-out, every platform and tenant.
    pub fn new(name: impl Into<String>, url: impl Into<String>, secret: WebhookSecret) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            secrets: vec![secret],
            platforms: None,
            tenant: None,
            retry: DEFAULT_RETRY_SCHEDULE.to_vec(),
            timeout: Duration::from_secs(10),
        }
    }
}
