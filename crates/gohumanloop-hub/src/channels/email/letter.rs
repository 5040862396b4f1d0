//! The mail the hub sends for a request: what the web inbox shows (in the text part as the
//! terminal and the original's mails show it, in the HTML part laid out as the inbox does),
//! one-click links, and the reply template for answering by mail.

use gohumanloop::model::{HumanLoopRequest, LoopType};
use gohumanloop::providers::email::compose::{
    escape_html, reply_template_html, reply_template_text, Letter,
};
use gohumanloop::providers::email::{token, EmailLanguage};
use gohumanloop::providers::prompt::render;
use serde_json::Value;
use time::OffsetDateTime;

use super::links::{Action, Link, LinkSigner};
use crate::record::{rfc3339_to_ms, RequestRecord};

/// What a mail is made from.
pub(crate) struct MailParts<'a> {
    /// The request.
    pub record: &'a RequestRecord,
    /// `From`.
    pub sender: &'a str,
    /// Its recipient: each recipient gets a mail of their own, with links that answer in
    /// their name (a shared mail would let one click another's link).
    pub recipient: &'a str,
    /// Subject without the token tag.
    pub subject: &'a str,
    /// The token.
    pub token: &'a str,
    /// Its `Message-ID`.
    pub message_id: &'a str,
    /// The earlier mails of the conversation, oldest first.
    pub thread: &'a [String],
    /// The language.
    pub language: EmailLanguage,
    /// The hub's public address (`https://hub.example.com`), for links.
    pub public_url: &'a str,
    /// When the links stop working (Unix seconds).
    pub links_expire_at: i64,
}

fn as_request(record: &RequestRecord) -> HumanLoopRequest {
    let object = |v: &Value| v.as_object().cloned().unwrap_or_default();
    let created = rfc3339_to_ms(&record.created_at);
    let mut request = HumanLoopRequest::new(
        record.task_id.clone(),
        record.conversation_id.clone(),
        record.loop_type,
        object(&record.context),
    );
    request.metadata = object(&record.metadata);
    request.request_id = Some(record.request_id.clone());
    request.created_at = created
        .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok());
    let deadline = record.deadline_at.as_deref().and_then(rfc3339_to_ms);
    request.timeout = match (created, deadline) {
        (Some(c), Some(d)) if d > c => Some(((d - c) as u64).div_ceil(1000)),
        _ => None,
    };
    request
}

/// The request as text, as the mail and the link pages show it.
pub fn summary(record: &RequestRecord) -> String {
    render(&as_request(record), false)
}

/// The actions a mail offers for a loop type, with their labels.
fn actions(loop_type: LoopType, language: EmailLanguage) -> Vec<(Action, &'static str)> {
    let zh = language == EmailLanguage::Zh;
    match loop_type {
        LoopType::Approval => vec![
            (Action::Approve, if zh { "批准" } else { "Approve" }),
            (
                Action::Reject,
                if zh {
                    "拒绝（填写理由）"
                } else {
                    "Reject (give a reason)"
                },
            ),
        ],
        LoopType::Information => vec![(Action::Answer, if zh { "回答" } else { "Answer" })],
        LoopType::Conversation => vec![(Action::Reply, if zh { "回复" } else { "Reply" })],
    }
}

/// Builds the mail.
pub(crate) fn letter(parts: &MailParts<'_>, signer: &LinkSigner) -> Letter {
    let record = parts.record;
    let language = parts.language;
    let prompt = summary(record);
    let base = parts.public_url.trim_end_matches('/');
    let mut links_text = String::new();
    let mut links_html = String::from("<p>");
    for (action, label) in actions(record.loop_type, language) {
        let token = signer.sign(&Link {
            request_id: record.id.clone(),
            action,
            expires_at: parts.links_expire_at,
            recipient: parts.recipient.to_owned(),
        });
        let url = format!("{base}/email/{token}");
        links_text += &format!("{label}: {url}\n");
        let color = if action == Action::Reject {
            "#cf222e"
        } else {
            "#1f883d"
        };
        links_html += &format!(
            "<a href=\"{}\" style=\"display:inline-block;margin:0 8px 8px 0;padding:10px 18px;\
             border-radius:6px;background:{color};color:#fff;text-decoration:none;\
             font-weight:600\">{}</a>",
            escape_html(&url),
            escape_html(label)
        );
    }
    links_html += "</p>";
    let inbox = format!("{base}/requests/{}", record.id);
    let (open_label, or_reply) = match language {
        EmailLanguage::Zh => ("在网页收件箱中打开", "或直接回复本邮件："),
        EmailLanguage::En => ("Open in the web inbox", "Or reply to this mail:"),
    };
    let text = format!(
        "{prompt}\n{links_text}{open_label}: {inbox}\n\n{or_reply}\n{}",
        reply_template_text(language, record.loop_type)
    );
    let html = format!(
        "{}{links_html}<p><a href=\"{}\">{}</a></p><p>{}</p>{}",
        super::view::request_html(record, language, super::view::Styling::Inline),
        escape_html(&inbox),
        escape_html(open_label),
        escape_html(or_reply),
        reply_template_html(language, record.loop_type)
    );
    Letter {
        from: parts.sender.to_owned(),
        to: vec![parts.recipient.to_owned()],
        subject: format!("{} {}", parts.subject, token::subject_tag(parts.token)),
        message_id: parts.message_id.to_owned(),
        in_reply_to: parts.thread.last().cloned(),
        references: parts.thread.to_vec(),
        text,
        html,
    }
}
