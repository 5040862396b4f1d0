//! The hub: [`HubProvider`], the original's `GoHumanLoopProvider` — an [`ApiProvider`]
//! configured from the environment, with the platform `GoHumanLoop` (protocol reference §2.4) —
//! and [`HubManager`], the original's `GoHumanLoopManager`: a manager that also uploads its task
//! snapshots to the hub (§1.12, §4.3). [`HubClient`] is a typed client of the hub's own API:
//! the answering API (list, read and answer requests), its event stream, and create / status
//! for asking without a manager.

mod client;
mod manager;
mod snapshot;

pub use client::{
    AuditEntry, BoxError, Conflict, EventStream, HubClient, HubError, ListFilter, RequestDetail,
    RequestPage, RequestView,
};
pub use manager::{HubManager, SyncReport, SYNC_INTERVAL};

use super::api::{ApiOptions, ApiProvider};
use crate::provider::ProviderError;

/// The hub's URL when `GOHUMANLOOP_API_BASE_URL` is not set (the original's).
pub const DEFAULT_HUB_URL: &str = "https://api.gohumanloop.com/api";

/// The platform of hub requests.
pub const HUB_PLATFORM: &str = "GoHumanLoop";

/// The provider's (and its platform's) name.
pub const HUB_PROVIDER: &str = "GoHumanLoop";

/// The original's error when the key is missing.
pub const NO_KEY: &str = "GOHUMANLOOP_API_KEY environment variable is not set!";

/// A provider for the hub.
pub struct HubProvider;

impl HubProvider {
    /// The options from `GOHUMANLOOP_API_BASE_URL` (default [`DEFAULT_HUB_URL`]) and
    /// `GOHUMANLOOP_API_KEY` (required), with the platform [`HUB_PLATFORM`].
    pub fn options_from_env() -> Result<ApiOptions, ProviderError> {
        let key = std::env::var("GOHUMANLOOP_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ProviderError::Failed(NO_KEY.to_owned()))?;
        let base = std::env::var("GOHUMANLOOP_API_BASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_HUB_URL.to_owned());
        Ok(ApiOptions::new(base)
            .api_key(key)
            .default_platform(HUB_PLATFORM))
    }

    /// A provider named [`HUB_PROVIDER`] for the hub the environment names.
    pub fn from_env() -> Result<ApiProvider, ProviderError> {
        ApiProvider::connect(HUB_PROVIDER, Self::options_from_env()?)
    }
}
