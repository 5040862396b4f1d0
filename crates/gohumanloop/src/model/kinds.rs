//! The two enums of the protocol: what kind of interaction, and where it stands.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of human interaction (wire values `approval`, `information`, `conversation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoopType {
    /// May the agent do this? Answered `approved` or `rejected`.
    Approval,
    /// What is X? Answered `completed` with the information.
    Information,
    /// One turn of a multi-turn dialogue: `inprogress` while it goes on, `completed` at its end.
    Conversation,
}

/// The state of one request (wire values are the original's lowercase strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for a human.
    Pending,
    /// Approval granted.
    Approved,
    /// Approval refused.
    Rejected,
    /// The deadline passed before anyone answered.
    Expired,
    /// Something failed; the result's `error` says what.
    Error,
    /// Information answered, or a conversation ended by the human.
    Completed,
    /// One conversation turn answered; the dialogue goes on with a new request.
    #[serde(rename = "inprogress")]
    InProgress,
    /// Cancelled by the agent or an operator.
    Cancelled,
}

/// Error for a wire string that names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct UnknownVariant {
    /// Which enum was being parsed (`status` or `loop_type`).
    pub kind: &'static str,
    /// The string that did not match.
    pub value: String,
}

impl LoopType {
    /// Every loop type, in wire order.
    pub const ALL: [LoopType; 3] = [Self::Approval, Self::Information, Self::Conversation];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approval => "approval",
            Self::Information => "information",
            Self::Conversation => "conversation",
        }
    }

    /// Whether a request of this type in status `from` may move to `to`: the statuses a
    /// request may take depend on its type, and only move forward ([`Status::can_become`]).
    ///
    /// | type | from `pending` | from `inprogress` |
    /// |---|---|---|
    /// | approval | approved, rejected, expired, cancelled, error | — |
    /// | information | completed, rejected, expired, cancelled, error | — |
    /// | conversation | inprogress, completed, rejected, expired, cancelled, error | completed, rejected, cancelled, error |
    pub fn allows(self, from: Status, to: Status) -> bool {
        use Status::*;
        match (self, from) {
            (_, Pending) if matches!(to, Rejected | Expired | Cancelled | Error) => true,
            (Self::Approval, Pending) => to == Approved,
            (Self::Information, Pending) => to == Completed,
            (Self::Conversation, Pending) => matches!(to, InProgress | Completed),
            (Self::Conversation, InProgress) => {
                matches!(to, Completed | Rejected | Cancelled | Error)
            }
            _ => false,
        }
    }
}

impl Status {
    /// Every status, in the order the original declares them.
    pub const ALL: [Status; 8] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Expired,
        Self::Error,
        Self::Completed,
        Self::InProgress,
        Self::Cancelled,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Error => "error",
            Self::Completed => "completed",
            Self::InProgress => "inprogress",
            Self::Cancelled => "cancelled",
        }
    }

    /// A terminal status never changes again (everything but `pending` and `inprogress`).
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending | Self::InProgress)
    }

    /// Whether a request in status `self` may move to `next`, whatever its type (the union of
    /// [`LoopType::allows`] over the types: use that when the type is known).
    ///
    /// Statuses only move forward: `pending` may become anything else, `inprogress` (an
    /// answered turn of a live conversation) may still end, and terminal statuses never change.
    pub fn can_become(self, next: Status) -> bool {
        match self {
            Self::Pending => next != Self::Pending,
            Self::InProgress => matches!(
                next,
                Self::Completed | Self::Rejected | Self::Cancelled | Self::Error
            ),
            _ => false,
        }
    }
}

macro_rules! wire_string_impls {
    ($ty:ty, $kind:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownVariant;

            /// Parses the exact, lowercase wire string; anything else is an error.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                    })
            }
        }
    };
}

wire_string_impls!(LoopType, "loop_type");
wire_string_impls!(Status, "status");
