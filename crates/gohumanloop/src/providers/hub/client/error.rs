//! What can go wrong talking to the hub: the hub could not be reached, it refused the call (each
//! refusal the answering API makes has its own variant), or its reply could not be read.

use crate::model::Status;

/// A failed call to the hub.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The hub's URL is not `http://` or `https://`.
    #[error("the hub URL must start with http:// or https://, got '{0}'")]
    BadUrl(String),
    /// The HTTP client could not be set up.
    #[error("cannot build the HTTP client")]
    Setup(#[source] BoxError),
    /// Nothing answered at the hub's address (not listening, or not reachable).
    #[error("cannot reach the hub at {base}")]
    Unreachable {
        /// The hub's base URL.
        base: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The connection failed after it was made (reset, cut short, timed out).
    #[error("the call to the hub at {base} failed")]
    Transport {
        /// The hub's base URL.
        base: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A rejection without a reason: refused here, before the hub is called.
    #[error("a rejection needs a reason")]
    ReasonRequired,
    /// HTTP 401 or 403: no key, or a key the hub does not know (or revoked).
    #[error("{message}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The hub's message.
        message: String,
    },
    /// HTTP 404: no such request in the key's tenant (or no such endpoint).
    #[error("{message}")]
    NotFound {
        /// The hub's message.
        message: String,
    },
    /// HTTP 409: someone answered first.
    #[error("{0}")]
    Conflict(Conflict),
    /// HTTP 422: the call is well-formed but not acceptable (an action that does not fit the
    /// request's type, a bad filter, a missing text or reason).
    #[error("{message}")]
    Refused {
        /// The hub's message.
        message: String,
    },
    /// Any other failure the hub reported: another status, or the original protocol's soft
    /// failure (HTTP 200 with `success: false`).
    #[error("{message}")]
    Failed {
        /// The HTTP status.
        status: u16,
        /// The hub's message, else `HTTP <status>`.
        message: String,
    },
    /// The reply is not JSON (not a hub, or a proxy's error page).
    #[error("the hub answered HTTP {status} without JSON")]
    NotJson {
        /// The HTTP status.
        status: u16,
    },
    /// The reply is JSON but not of the expected shape.
    #[error("the hub's reply (HTTP {status}) cannot be read: {detail}")]
    BadReply {
        /// The HTTP status.
        status: u16,
        /// What did not fit.
        detail: String,
    },
}

/// The cause of a transport failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The winner of a race: the hub's HTTP 409 to a late answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Conflict {
    /// The hub's message (`request … is already approved by alice at …`).
    pub message: String,
    /// The status the request already has.
    pub status: Status,
    /// Who answered first (`None`: nobody answered; it was cancelled or expired).
    pub responded_by: Option<String>,
    /// When they answered (RFC 3339).
    pub responded_at: Option<String>,
}

impl HubError {
    /// The HTTP status of the hub's reply, if there was one (2xx for a soft failure).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { status, .. }
            | Self::Failed { status, .. }
            | Self::NotJson { status }
            | Self::BadReply { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(404),
            Self::Conflict(_) => Some(409),
            Self::Refused { .. } => Some(422),
            Self::BadUrl(_)
            | Self::Setup(_)
            | Self::Unreachable { .. }
            | Self::Transport { .. }
            | Self::ReasonRequired => None,
        }
    }

    /// Whether the same call may succeed later: the hub was not reachable, the connection
    /// failed, or the hub (or something in front of it) answered 5xx or not in JSON — e.g.
    /// while it is starting or restarting.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Transport { .. } | Self::NotJson { .. } => true,
            other => other.status().is_some_and(|s| s >= 500),
        }
    }

    /// Whether the hub read the call and refused it with a 4xx and its error body: trying
    /// again will not help.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::NotJson { .. } | Self::BadReply { .. } => false,
            other => other.status().is_some_and(|s| (400..500).contains(&s)),
        }
    }
}
