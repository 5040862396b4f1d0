//! The e-mail reply parser: pure functions from a received mail's bytes to an answer. No
//! network, no clock; the provider and the hub's email channel both use it.
//!
//! 1. [`ReplyMail::parse`] decodes the mail (any MIME structure, charset, transfer encoding;
//!    an HTML-only mail is turned into text).
//! 2. [`user_content`] keeps only what the human wrote (quotes, signatures and the template's
//!    markers removed).
//! 3. [`read`] applies the original's grammar for the request's loop type, in both languages.
//!
//! Which request a mail answers, and whether its sender may answer it, is decided by the
//! caller with [`ReplyMail::tokens`] and [`ReplyMail::is_from_one_of`].

mod content;
mod grammar;
mod html;
mod mail;

use serde_json::{json, Value};

use crate::model::{LoopType, Status};

pub use content::user_content;
pub use grammar::{
    approval, conversation, decision, information, Decision, APPROVE_WORDS, APPROVE_WORDS_ZH,
    REJECT_WORDS, REJECT_WORDS_ZH,
};
pub use html::html_to_text;
pub use mail::ReplyMail;

/// What a reply says, once read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// An approval, with the reason given (maybe empty).
    Approved(String),
    /// A rejection, with the reason given (maybe empty).
    Rejected(String),
    /// The information asked for.
    Information(String),
    /// A conversation turn, and whether it ends the conversation.
    Said {
        /// What the human wrote.
        content: String,
        /// The end mark was present.
        ended: bool,
    },
}

/// Why a reply cannot be taken as an answer (it is then left alone, never applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// Nothing but quotes, signatures or blank lines.
    #[error("the reply has no text of its own")]
    Empty,
    /// An approval reply that names no decision, or both.
    #[error("the reply names no clear decision")]
    NoDecision,
    /// An information reply that left the template untouched.
    #[error("the reply gives no information")]
    NoInformation,
    /// An automatic reply (out of office, bulk mail).
    #[error("the mail was sent automatically")]
    Automatic,
}

impl Reading {
    /// The status the request takes.
    pub fn status(&self) -> Status {
        match self {
            Self::Approved(_) => Status::Approved,
            Self::Rejected(_) => Status::Rejected,
            Self::Information(_) => Status::Completed,
            Self::Said { ended: true, .. } => Status::Completed,
            Self::Said { ended: false, .. } => Status::InProgress,
        }
    }

    /// The response the original's EmailProvider records: `text`, `html`, `subject`, `from`,
    /// `date`, `message_id`, and `decision`+`reason`, `information` or `user_content`.
    pub fn response(&self, mail: &ReplyMail) -> Value {
        let mut response = json!({
            "text": mail.text,
            "html": mail.html,
            "subject": mail.subject,
            "from": mail.from,
            "date": mail.date,
            "message_id": mail.message_id,
        });
        let extra = match self {
            Self::Approved(reason) => json!({"decision": "approved", "reason": reason}),
            Self::Rejected(reason) => json!({"decision": "rejected", "reason": reason}),
            Self::Information(information) => json!({"information": information}),
            Self::Said { content, .. } => json!({"user_content": content}),
        };
        if let (Some(all), Value::Object(extra)) = (response.as_object_mut(), extra) {
            all.extend(extra);
        }
        response
    }
}

/// Reads a mail as the answer to a request of `loop_type`.
pub fn read(mail: &ReplyMail, loop_type: LoopType) -> Result<Reading, Unreadable> {
    if mail.automatic {
        return Err(Unreadable::Automatic);
    }
    let content = user_content(&mail.text).ok_or(Unreadable::Empty)?;
    match loop_type {
        LoopType::Approval => match approval(&content) {
            Some((Decision::Approve, reason)) => Ok(Reading::Approved(reason)),
            Some((Decision::Reject, reason)) => Ok(Reading::Rejected(reason)),
            None => Err(Unreadable::NoDecision),
        },
        LoopType::Information => information(&content)
            .map(Reading::Information)
            .ok_or(Unreadable::NoInformation),
        LoopType::Conversation => conversation(&content)
            .map(|(content, ended)| Reading::Said { content, ended })
            .ok_or(Unreadable::Empty),
    }
}

/// [`ReplyMail::parse`] then [`read`]: the whole parser on raw bytes (what the fuzz target
/// drives). `None` when the bytes are not a mail.
pub fn read_raw(raw: &[u8], loop_type: LoopType) -> Option<Result<Reading, Unreadable>> {
    ReplyMail::parse(raw).map(|mail| read(&mail, loop_type))
}
