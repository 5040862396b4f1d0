//! Replies by mail: each new mail in the hub's mailbox is read with the library's parser and,
//! if it answers a pending request from one of the addresses it was sent to, applied through
//! [`Hub::decide`] — the same one place every other answer goes through.

use async_trait::async_trait;
use gohumanloop::model::Status;
use gohumanloop::providers::email::imap::Inbox;
use gohumanloop::providers::email::reply::{self, Reading, ReplyMail};
use gohumanloop::providers::email::EmailError;

use super::mail::mail_by_token;
use crate::core::{Action, Actor, Decision, Hub, Verdict};

/// The audit channel of answers given by mail.
pub(crate) const REPLY_CHANNEL: &str = "email";

/// The hub's side of the mailbox watcher.
pub(crate) struct HubReplies {
    hub: Hub,
}

impl HubReplies {
    /// Replies applied to `hub`.
    pub fn new(hub: Hub) -> Self {
        Self { hub }
    }

    /// Reads one mail and applies it if it is a valid answer; `true` if it was handled
    /// (applied, or too late for a request someone else answered).
    pub(crate) async fn apply(&self, raw: &[u8]) -> bool {
        let Some(mail) = ReplyMail::parse(raw) else {
            return false;
        };
        let store = self.hub.store();
        let mut sent = None;
        for token in mail.tokens() {
            match mail_by_token(store.as_ref(), &token).await {
                Ok(Some(found)) => {
                    sent = Some(found);
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!("email reply: {e}");
                    return false;
                }
            }
        }
        let Some(sent) = sent else {
            tracing::debug!(subject = ?mail.subject, "mail answers no request of ours");
            return false;
        };
        if !mail.is_from_one_of(&sent.recipients) {
            tracing::warn!(from = ?mail.from, request = %sent.request_id,
                "ignored a reply from an address the request was not sent to");
            return false;
        }
        let record = match store.by_id(&sent.request_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return false,
            Err(e) => {
                tracing::error!("email reply: {e}");
                return false;
            }
        };
        if record.status != Status::Pending {
            tracing::info!(request = %record.id, status = %record.status,
                "a reply came after the request was closed");
            return true;
        }
        let reading = match reply::read(&mail, record.loop_type) {
            Ok(reading) => reading,
            Err(why) => {
                tracing::info!(from = ?mail.from, request = %record.id, %why,
                    "a reply could not be read as an answer; still waiting");
                return false;
            }
        };
        let response = Some(reading.response(&mail));
        let decision = match reading {
            Reading::Approved(reason) => Decision::new(Action::Approve, &reason),
            Reading::Rejected(reason) => Decision::new(Action::Reject, &reason),
            Reading::Information(text) => Decision::new(Action::Answer, &text),
            Reading::Said { content, ended } => {
                let action = if ended {
                    Action::Complete
                } else {
                    Action::Reply
                };
                Decision::new(action, &content)
            }
        };
        let actor = Actor::new(REPLY_CHANNEL, mail.responder()).named(mail.from.clone());
        let decision = decision.with_response(response);
        match self.hub.decide_on(&record, decision, &actor).await {
            Ok(Verdict::Changed { .. } | Verdict::Voted { .. }) => true,
            Ok(Verdict::Conflict(winner)) => {
                tracing::info!(request = %winner.id, status = %winner.status,
                    "a reply by mail came second");
                true
            }
            Ok(Verdict::Refused(why)) => {
                tracing::info!(from = ?mail.from, request = %record.id, %why,
                    "a reply was refused as an answer; still waiting");
                false
            }
            Ok(Verdict::NotFound) => false,
            Err(e) => {
                tracing::error!("email reply: {e}");
                false
            }
        }
    }
}

#[async_trait]
impl Inbox for HubReplies {
    fn watching(&self) -> bool {
        true
    }

    async fn mail(&self, raw: &[u8]) -> bool {
        self.apply(raw).await
    }

    async fn broken(&self, error: EmailError) {
        // The hub keeps its requests: the approvers can still answer on the web or by link.
        tracing::error!(%error, "the email channel cannot read its mailbox");
    }
}
