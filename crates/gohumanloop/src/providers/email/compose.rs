//! Building the mails: a text part and an HTML part with the same content, the reply template
//! in the chosen language, and `Message-ID` / `In-Reply-To` / `References` so that every turn
//! of a conversation stays in one thread.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::server::EmailError;
use super::EmailLanguage;
use crate::model::LoopType;

/// A built mail, ready for [`super::smtp::Mailer::send`].
pub type MailMessage = Message;

/// The project's home, linked from the HTML footer (as the original does).
pub const PROJECT_URL: &str = "https://github.com/ptonlix/gohumanloop";

/// One mail, ready to build.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    /// `From` (an address, or `Name <address>`).
    pub from: String,
    /// `To`, one or more addresses.
    pub to: Vec<String>,
    /// The subject.
    pub subject: String,
    /// Its `Message-ID` (without brackets).
    pub message_id: String,
    /// The id of the mail it follows, if it continues a thread.
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first (without brackets).
    pub references: Vec<String>,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

fn mailbox(text: &str) -> Result<Mailbox, EmailError> {
    text.trim()
        .parse()
        .map_err(|e| EmailError::Config(format!("invalid e-mail address '{text}': {e}")))
}

impl Letter {
    /// The RFC 5322 message (multipart/alternative: text, then HTML).
    pub fn build(&self) -> Result<Message, EmailError> {
        let mut builder = Message::builder()
            .from(mailbox(&self.from)?)
            .subject(self.subject.clone())
            .message_id(Some(format!("<{}>", self.message_id)));
        for to in &self.to {
            builder = builder.to(mailbox(to)?);
        }
        if let Some(parent) = &self.in_reply_to {
            builder = builder.in_reply_to(format!("<{parent}>"));
        }
        if !self.references.is_empty() {
            let chain: Vec<String> = self.references.iter().map(|r| format!("<{r}>")).collect();
            builder = builder.references(chain.join(" "));
        }
        builder = builder.header(AutoSubmitted);
        builder
            .multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                self.html.clone(),
            ))
            .map_err(|e| EmailError::Config(format!("the mail cannot be built: {e}")))
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office responders must not answer it.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// The reply instructions of the text part: the instruction, the markers around the template,
/// and the footer (the original's layout).
pub fn reply_template_text(language: EmailLanguage, loop_type: LoopType) -> String {
    let mut out = String::new();
    out += language.instruction(loop_type);
    out.push('\n');
    out += language.content_start_mark();
    out.push('\n');
    for line in language.template_lines(loop_type) {
        out += &line;
        out.push('\n');
    }
    out += language.content_end_mark();
    out += "\n\n---\n";
    out += language.footer();
    out.push('\n');
    out
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn template_block(language: EmailLanguage, lines: &[String]) -> String {
    let mut block = String::from(
        "<pre style=\"background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;\
         padding:10px;white-space:pre-wrap\">",
    );
    block += &escape_html(language.content_start_mark());
    block.push('\n');
    for line in lines {
        block += &escape_html(line);
        block.push('\n');
    }
    block += &escape_html(language.content_end_mark());
    block += "</pre>";
    block
}

/// The reply instructions of the HTML part: for an approval, one template to approve and one
/// to reject, ready to copy (as the original); the footer links to the project.
pub fn reply_template_html(language: EmailLanguage, loop_type: LoopType) -> String {
    let mut out = format!("<p>{}</p>", escape_html(language.instruction(loop_type)));
    if loop_type == LoopType::Approval {
        let [approve, reject] = [language.approve_words()[0], language.reject_words()[0]];
        let reason = format!(
            "{}{}",
            language.reason_prefix(),
            language.reason_placeholder()
        );
        for word in [approve, reject] {
            let lines = [
                format!("{}{word}", language.decision_prefix()),
                reason.clone(),
            ];
            out += &template_block(language, &lines);
        }
    } else {
        out += &template_block(language, &language.template_lines(loop_type));
    }
    out += &format!(
        "<hr><p style=\"color:#57606a;font-size:12px\">{} · <a href=\"{PROJECT_URL}\">GoHumanLoop</a></p>",
        escape_html(language.footer())
    );
    out
}

/// Text as an HTML block that keeps its lines.
pub fn text_as_html(text: &str) -> String {
    format!(
        "<pre style=\"font-family:inherit;white-space:pre-wrap\">{}</pre>",
        escape_html(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::email::reply::{read_raw, Reading};

    fn letter() -> Letter {
        Letter {
            from: "Agent <agent@ghl.test>".into(),
            to: vec!["approver@ghl.test".into()],
            subject: "[agent] Task t1 [#0123456789abcdef]".into(),
            message_id: "ghl.0123456789abcdef@ghl.test".into(),
            in_reply_to: Some("ghl.1111111111111111@ghl.test".into()),
            references: vec!["ghl.1111111111111111@ghl.test".into()],
            text: format!(
                "Deploy?\n\n{}",
                reply_template_text(EmailLanguage::En, LoopType::Approval)
            ),
            html: reply_template_html(EmailLanguage::En, LoopType::Approval),
        }
    }

    #[test]
    fn the_mail_threads_and_carries_both_parts() {
        let raw = letter().build().unwrap().formatted();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("Message-ID: <ghl.0123456789abcdef@ghl.test>"));
        assert!(text.contains("In-Reply-To: <ghl.1111111111111111@ghl.test>"));
        assert!(text.contains("References: <ghl.1111111111111111@ghl.test>"));
        assert!(text.contains("Auto-Submitted: auto-generated"));
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("text/html"));
    }

    #[test]
    fn the_untouched_template_answers_nothing() {
        // A mail that quotes our own template back (no human words) must not decide anything.
        let raw = letter().build().unwrap().formatted();
        let raw = String::from_utf8_lossy(&raw).replace("Auto-Submitted: auto-generated\r\n", "");
        assert!(read_raw(raw.as_bytes(), LoopType::Approval)
            .unwrap()
            .is_err());
        let filled = raw.replace(
            "Decision: [approve/approved/accept/yes|reject/rejected/deny/no]",
            "Decision: reject",
        );
        assert!(matches!(
            read_raw(filled.as_bytes(), LoopType::Approval).unwrap(),
            Ok(Reading::Rejected(_))
        ));
    }

    #[test]
    fn bad_addresses_are_errors() {
        let mut bad = letter();
        bad.to = vec!["not an address".into()];
        assert!(matches!(bad.build(), Err(EmailError::Config(_))));
    }
}
