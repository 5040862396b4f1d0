//! A platform's access token, cached until shortly before it ends (Feishu's
//! `tenant_access_token`, WeCom's `access_token`): one fetch at a time, a new one fetched when
//! the platform says the old one is no longer valid.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::channels::DeliveryError;

/// The cached token, with when to fetch the next one.
pub(crate) struct TokenCache {
    renew_before: Duration,
    cached: Mutex<Option<(String, Instant)>>,
}

impl TokenCache {
    /// A cache that fetches a new token `renew_before` the old one ends.
    pub(crate) fn new(renew_before: Duration) -> Self {
        Self {
            renew_before,
            cached: Mutex::new(None),
        }
    }

    /// The token, from `fetch` (which gives it and how long it lasts) when there is none or
    /// it is about to end.
    pub(crate) async fn get<F>(&self, fetch: F) -> Result<String, DeliveryError>
    where
        F: Future<Output = Result<(String, Duration), DeliveryError>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some((token, renew_at)) = cached.as_ref() {
            if Instant::now() < *renew_at {
                return Ok(token.clone());
            }
        }
        let (token, lasts) = fetch.await?;
        let renew_in = lasts
            .saturating_sub(self.renew_before)
            .max(Duration::from_secs(60));
        *cached = Some((token.clone(), Instant::now() + renew_in));
        Ok(token)
    }

    /// Forgets the token (the platform refused it): the next call fetches another.
    pub(crate) async fn forget(&self) {
        *self.cached.lock().await = None;
    }
}
