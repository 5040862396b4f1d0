//! The `requestState` of a call that asked the client's user (protocol 2026-07-28): the
//! request's ids, sealed with an HMAC so that a client cannot point a retry at another request.

use std::time::Duration;

use rmcp::model::{ErrorData, RequestStateCodec, SealOptions};

use serde::{Deserialize, Serialize};

use crate::humans::Ids;

/// What a sealed state holds: the request, and how long the call asked to wait.
#[derive(Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub(crate) ids: Ids,
    pub(crate) wait_secs: u64,
}

/// How long a sealed state is good for: after that, resume with `check_request`.
const LIFETIME: Duration = Duration::from_secs(3600);

/// Seals and opens request states with a key of this process.
pub(crate) struct StateCodec(RequestStateCodec);

impl StateCodec {
    /// A codec with a fresh random key (states do not outlive the process; `check_request`
    /// does).
    pub(crate) fn random() -> Self {
        let mut key = Vec::with_capacity(32);
        key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        // 32 bytes: the codec's minimum length, so its check cannot fail.
        Self(RequestStateCodec::new_unchecked(key))
    }

    /// A codec with this key (32 bytes or more): for `fuzzing`, whose states must replay.
    pub(crate) fn with_key(key: Vec<u8>) -> Self {
        Self(RequestStateCodec::new_unchecked(key))
    }

    /// The state for a retry about `ids` that waits up to `wait`.
    pub(crate) fn seal(&self, ids: &Ids, wait: Duration) -> Result<String, ErrorData> {
        let sealed = Sealed {
            ids: ids.clone(),
            wait_secs: wait.as_secs(),
        };
        self.0
            .seal_json_with(&sealed, &SealOptions::new().ttl(LIFETIME))
            .map_err(|e| {
                ErrorData::internal_error(format!("cannot seal the request state: {e}"), None)
            })
    }

    /// What a state this process sealed holds; anything else is refused.
    pub(crate) fn open(&self, state: &str) -> Result<Sealed, ErrorData> {
        self.0.open_json(state).map_err(|e| {
            ErrorData::invalid_params(
                format!(
                    "requestState refused ({e}): it was altered, comes from another server, or \
                     is older than an hour; call check_request with the request's ids instead"
                ),
                None,
            )
        })
    }
}
