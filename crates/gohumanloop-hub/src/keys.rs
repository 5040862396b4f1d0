//! API keys: how they are made, how they are stored (hashed), and a short-lived cache of who
//! they belong to so that checking a key costs no database read on the hot path.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::audit::sha256_hex;
use crate::record::KeyOwner;
use crate::store::{Store, StoreResult};

/// How long a key check is trusted; a revoked key stops working within this time.
pub(crate) const KEY_CACHE_TTL: Duration = Duration::from_secs(2);

/// How many characters of a key are kept in clear to recognise it (`ghl keys list`).
const PREFIX_LEN: usize = 12;

/// A new random key: `ghl_` and 64 hex digits (two UUID v4s, 244 random bits).
pub fn generate() -> String {
    format!(
        "ghl_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// What the database keeps of a key.
pub fn hash(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// The part of a key shown in listings (at most a third of it, so a short key stays secret).
pub fn prefix(key: &str) -> String {
    let shown = PREFIX_LEN.min(key.chars().count() / 3);
    key.chars().take(shown).collect()
}

/// Remembers recent key checks (valid and invalid) for [`KEY_CACHE_TTL`], by the presented
/// key itself (in memory only: it passes through memory with every request anyway), so that
/// a cached check costs no hashing.
#[derive(Default)]
pub(crate) struct KeyCache {
    checked: Mutex<HashMap<String, (Option<KeyOwner>, Instant)>>,
}

impl KeyCache {
    /// The owner of `key`, or `None` if it is unknown or revoked.
    pub async fn owner(&self, store: &dyn Store, key: &str) -> StoreResult<Option<KeyOwner>> {
        if let Some((owner, at)) = self.lock().get(key) {
            if at.elapsed() < KEY_CACHE_TTL {
                return Ok(owner.clone());
            }
        }
        let owner = store.key_owner(&hash(key)).await?;
        let mut checked = self.lock();
        if checked.len() > 10_000 {
            checked.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
        }
        checked.insert(key.to_owned(), (owner.clone(), Instant::now()));
        Ok(owner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<KeyOwner>, Instant)>> {
        self.checked.lock().unwrap_or_else(|p| p.into_inner())
    }
}
