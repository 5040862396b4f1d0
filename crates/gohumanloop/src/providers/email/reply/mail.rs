//! Reading a received mail (any MIME structure, charset and transfer encoding) into the few
//! things a reply is judged by.

use mail_parser::{HeaderValue, MessageParser};

use crate::providers::email::token;

/// A received mail, decoded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplyMail {
    /// The sender's address, lower-cased (`None` when the mail names none).
    pub from_address: Option<String>,
    /// The decoded `From` header as people read it (`Name <address>`), the original's
    /// `responded_by`.
    pub from: String,
    /// The decoded subject.
    pub subject: String,
    /// Its own `Message-ID` (without brackets).
    pub message_id: Option<String>,
    /// The ids it replies to (`In-Reply-To`).
    pub in_reply_to: Vec<String>,
    /// The thread it belongs to (`References`).
    pub references: Vec<String>,
    /// The `Date` header (RFC 3339), if it had a valid one.
    pub date: Option<String>,
    /// The text body: the text/plain part, or the HTML part converted to text.
    pub text: String,
    /// The HTML body, if the mail has one.
    pub html: Option<String>,
    /// Sent by a machine (`Auto-Submitted`, out-of-office replies, bulk mail): never an answer.
    pub automatic: bool,
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![text.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

impl ReplyMail {
    /// Who answered, as `responded_by` records it (by the hub and the library alike): the
    /// sender's bare address, or the `From` header when it names no address.
    pub fn responder(&self) -> String {
        self.from_address
            .clone()
            .unwrap_or_else(|| self.from.clone())
    }

    /// Reads a raw RFC 5322 message; `None` if it is not a mail at all.
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let message = MessageParser::default().parse(raw)?;
        let sender = message.from().and_then(|list| list.first());
        let from_address = sender
            .and_then(|addr| addr.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty());
        let from = match (sender.and_then(|a| a.name()).map(str::trim), &from_address) {
            (Some(name), Some(address)) if !name.is_empty() => format!("{name} <{address}>"),
            (_, Some(address)) => address.clone(),
            (Some(name), None) => name.to_owned(),
            (None, None) => String::new(),
        };
        let header_text = |name: &str| {
            message
                .header_raw(name)
                .map(|v| v.trim().to_ascii_lowercase())
                .unwrap_or_default()
        };
        let auto_submitted = header_text("Auto-Submitted");
        let precedence = header_text("Precedence");
        let automatic = (!auto_submitted.is_empty() && auto_submitted != "no")
            || matches!(precedence.as_str(), "bulk" | "junk" | "list" | "auto_reply")
            || message.header_raw("X-Autoreply").is_some()
            || message.header_raw("X-Autorespond").is_some();
        let html = message
            .html_part(0)
            .filter(|part| part.is_text_html())
            .and_then(|part| part.text_contents())
            .map(str::to_owned);
        // A text/plain part as written; else the HTML made text by our converter, which keeps
        // line breaks and marks `<blockquote>` quotes (mail-parser's own flattens both).
        let plain = message
            .text_part(0)
            .filter(|part| part.is_text() && !part.is_text_html())
            .and_then(|part| part.text_contents());
        let text = match (plain, &html) {
            (Some(plain), _) => plain.to_owned(),
            (None, Some(html)) => super::html::html_to_text(html),
            (None, None) => message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
        };
        Some(Self {
            from_address,
            from,
            subject: message.subject().unwrap_or_default().to_owned(),
            message_id: message.message_id().map(str::to_owned),
            in_reply_to: ids(message.in_reply_to()),
            references: ids(message.references()),
            date: message.date().map(|d| d.to_rfc3339()),
            text,
            html,
            automatic,
        })
    }

    /// The tokens of the mails this one answers, most specific first: `In-Reply-To`, then
    /// `References` newest first, then subject tags.
    pub fn tokens(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let headers = self
            .in_reply_to
            .iter()
            .chain(self.references.iter().rev())
            .filter_map(|id| token::token_in_message_id(id));
        for token in headers.chain(token::tokens_in_subject(&self.subject)) {
            if !found.contains(&token) {
                found.push(token);
            }
        }
        found
    }

    /// Whether the mail comes from one of `recipients` (addresses, compared case-insensitively).
    pub fn is_from_one_of<S: AsRef<str>>(&self, recipients: &[S]) -> bool {
        self.from_address.as_deref().is_some_and(|from| {
            recipients
                .iter()
                .any(|r| r.as_ref().trim().eq_ignore_ascii_case(from))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "From: =?utf-8?b?5byg5LiJ?= <Approver@GHL.test>\r\n\
        To: agent@ghl.test\r\n\
        Subject: =?utf-8?q?Re:_deploy_?= [#0123456789abcdef]\r\n\
        Message-ID: <reply-1@ghl.test>\r\n\
        In-Reply-To: <ghl.fedcba9876543210@ghl.test>\r\n\
        References: <ghl.1111111111111111@ghl.test> <ghl.fedcba9876543210@ghl.test>\r\n\
        Date: Wed, 25 Nov 2026 10:02:00 +0000\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        Decision: approve\r\n";

    #[test]
    fn headers_and_body_are_decoded() {
        let mail = ReplyMail::parse(REPLY.as_bytes()).unwrap();
        assert_eq!(mail.from_address.as_deref(), Some("approver@ghl.test"));
        assert_eq!(mail.from, "张三 <approver@ghl.test>");
        assert_eq!(mail.message_id.as_deref(), Some("reply-1@ghl.test"));
        assert_eq!(mail.text.trim(), "Decision: approve");
        assert_eq!(mail.html, None);
        assert!(!mail.automatic);
        assert_eq!(
            mail.tokens(),
            ["fedcba9876543210", "1111111111111111", "0123456789abcdef"]
        );
        assert!(mail.is_from_one_of(&["APPROVER@ghl.test"]));
        assert!(!mail.is_from_one_of(&["other@ghl.test"]));
    }

    #[test]
    fn out_of_office_replies_are_automatic() {
        let raw = REPLY.replace("Date:", "Auto-Submitted: auto-replied\r\nDate:");
        assert!(ReplyMail::parse(raw.as_bytes()).unwrap().automatic);
    }
}
