//! Starting a webhook channel from its configuration.

use std::sync::Arc;

use super::config::WebhookConfig;
use super::inbound::Inbound;
use crate::channels::http::client;
use crate::channels::ChannelError;
use crate::core::Hub;
use crate::record::TenantId;

/// A running webhook channel: it POSTs the events of the requests routed to it, and takes
/// signed decisions back (see [`super`]).
pub struct WebhookChannel {
    pub(super) name: String,
    pub(super) config: WebhookConfig,
    pub(super) tenant: Option<TenantId>,
    pub(super) http: reqwest::Client,
    pub(super) inbound: Arc<Inbound>,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookChannel({} → {})", self.name, self.config.url)
    }
}

impl WebhookChannel {
    /// The channel `config` describes, on `hub` (its tenant must exist).
    pub async fn start(hub: Hub, config: WebhookConfig) -> Result<Arc<Self>, ChannelError> {
        let tenant = match &config.tenant {
            Some(name) => {
                let tenants = hub.store().tenants().await?;
                let found = tenants.iter().find(|t| &t.name == name).ok_or_else(|| {
                    ChannelError::Config(format!(
                        "webhook '{}': the hub has no tenant '{name}'",
                        config.name
                    ))
                })?;
                Some(found.id)
            }
            None => None,
        };
        let http = client(config.timeout).map_err(ChannelError::Config)?;
        let name = format!("webhook:{}", config.name);
        let inbound = Arc::new(Inbound {
            hub,
            name: config.name.clone(),
            secrets: config.secrets.clone(),
            tenant,
        });
        Ok(Arc::new(Self {
            name,
            config,
            tenant,
            http,
            inbound,
        }))
    }
}
