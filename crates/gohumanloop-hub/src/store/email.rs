//! The part of the store the email channel keeps: which mail carried which request.

use async_trait::async_trait;

use super::StoreResult;
use crate::record::TenantId;

/// One request's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// The hub's id of the request.
    pub request_id: String,
    /// The token that threads replies back (in the `Message-ID` and subject).
    pub token: String,
    /// The mail's `Message-ID` (without brackets).
    pub message_id: String,
    /// Whom it went to.
    pub recipients: Vec<String>,
    /// Its subject, without the token tag.
    pub subject: String,
    /// When it was accepted by the SMTP server (Unix ms); `None`: not sent yet.
    pub sent_at: Option<i64>,
    /// How many sends were tried.
    pub attempts: i64,
    /// Why the last send failed.
    pub last_error: Option<String>,
    /// When sending was given up for good (Unix ms).
    pub gave_up_at: Option<i64>,
}

/// How sending a request's mail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted by the SMTP server at this time (Unix ms).
    Sent(i64),
    /// Failed; to be tried again.
    Failed(String),
    /// Refused for good (an invalid address, a 5xx reply): never tried again.
    GaveUp(String),
}

/// What the email channel stores.
#[async_trait]
pub trait MailLog: Send + Sync {
    /// Records the mail about to be sent for a request, or returns the one recorded before
    /// (so that a resend after a crash keeps its `Message-ID` and token).
    async fn mail_prepare(&self, mail: MailRecord) -> StoreResult<MailRecord>;

    /// Records how sending a request's mail ended.
    async fn mail_sent(&self, request_id: &str, outcome: SendOutcome) -> StoreResult<()>;

    /// The mail of a request.
    async fn mail_of(&self, request_id: &str) -> StoreResult<Option<MailRecord>>;

    /// The mail that carried a token.
    async fn mail_by_token(&self, token: &str) -> StoreResult<Option<MailRecord>>;

    /// The mails already sent in a conversation, oldest first (to thread the next turn).
    async fn mail_thread(
        &self,
        tenant: TenantId,
        conversation_id: &str,
    ) -> StoreResult<Vec<MailRecord>>;
}
