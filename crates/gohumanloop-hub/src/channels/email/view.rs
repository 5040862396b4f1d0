//! The request as an HTML block, for the mail's HTML part and the link pages: the question
//! first, then the message, the function and its arguments, other context and the details —
//! what the web inbox's request page shows. Mails get inline styles (mail clients drop style
//! sheets); pages get classes (their CSP allows no inline style). Values are shown within one
//! page's [`Budget`], folded past it like the inbox's request page.

use gohumanloop::providers::email::compose::escape_html;
use gohumanloop::providers::email::EmailLanguage;
use serde_json::Value;

use crate::json_view::{Budget, Markup, Words};
use crate::record::RequestRecord;

const KNOWN: [&str; 4] = ["question", "message", "additional", "function"];

struct Labels {
    question: &'static str,
    message: &'static str,
    additional: &'static str,
    function: &'static str,
    arguments: &'static str,
    other: &'static str,
    task: &'static str,
    conversation: &'static str,
    kind: &'static str,
    deadline: &'static str,
}

fn labels(language: EmailLanguage) -> &'static Labels {
    match language {
        EmailLanguage::En => &Labels {
            question: "Question",
            message: "Message",
            additional: "Additional context",
            function: "Function",
            arguments: "Arguments",
            other: "Other context",
            task: "Task",
            conversation: "Conversation",
            kind: "Type",
            deadline: "Deadline",
        },
        EmailLanguage::Zh => &Labels {
            question: "问题",
            message: "消息",
            additional: "补充信息",
            function: "函数",
            arguments: "参数",
            other: "其他上下文",
            task: "任务",
            conversation: "对话",
            kind: "类型",
            deadline: "截止时间",
        },
    }
}

/// A value as escaped HTML: a string as it is, anything else as pretty JSON.
fn html(value: Option<&Value>, budget: &mut Budget) -> String {
    match value {
        None => String::new(),
        Some(Value::String(s)) => budget.text(s.trim()),
        Some(other) => budget.json(other, Markup::Plain),
    }
}

const PRE: &str = "background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px;\
                   white-space:pre-wrap;word-break:break-word;font-size:13px;margin:4px 0 12px";
const LABEL: &str = "color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em;\
                     margin:12px 0 2px";
const PARA: &str = "white-space:pre-wrap;margin:0 0 8px";

/// Where the HTML goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Styling {
    /// A mail: inline `style` attributes.
    Inline,
    /// A page of the hub: `class` attributes (styled by `app.css`).
    Classes,
}

impl Styling {
    fn attr(self, style: &str, class: &str) -> String {
        match self {
            Self::Inline => format!("style=\"{style}\""),
            Self::Classes => format!("class=\"{class}\""),
        }
    }
}

/// A labelled block; `body` is escaped HTML.
fn section(out: &mut String, styling: Styling, label: &str, body: &str, preformatted: bool) {
    if body.trim().is_empty() {
        return;
    }
    out.push_str(&format!(
        "<div {}>{}</div>",
        styling.attr(LABEL, "req-label"),
        escape_html(label)
    ));
    let attr = if preformatted {
        styling.attr(PRE, "req-pre")
    } else {
        styling.attr(PARA, "req-text")
    };
    let tag = if preformatted { "pre" } else { "div" };
    out.push_str(&format!("<{tag} {attr}>{}</{tag}>", body.trim_end()));
}

/// The request as HTML (every value escaped).
pub(crate) fn request_html(
    record: &RequestRecord,
    language: EmailLanguage,
    styling: Styling,
) -> String {
    let l = labels(language);
    let mut budget = Budget::page(match language {
        EmailLanguage::En => Words::En,
        EmailLanguage::Zh => Words::Zh,
    });
    let budget = &mut budget;
    let context = &record.context;
    let mut out = format!(
        "<div {}>",
        styling.attr(
            "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:15px;color:#1f2328",
            "req"
        )
    );
    let question = html(context.get("question"), budget);
    if !question.trim().is_empty() {
        out.push_str(&format!(
            "<div {}>{}</div><h2 {}>{}</h2>",
            styling.attr(LABEL, "req-label"),
            escape_html(l.question),
            styling.attr("font-size:20px;margin:0 0 12px", "req-question"),
            question.trim()
        ));
    }
    let message = html(context.get("message"), budget);
    section(&mut out, styling, l.message, &message, false);
    let additional = html(context.get("additional"), budget);
    section(&mut out, styling, l.additional, &additional, false);
    if let Some(function) = context.get("function") {
        let (name, arguments) = match function {
            Value::Object(f) => (
                html(f.get("name"), budget),
                html(f.get("arguments"), budget),
            ),
            other => (html(Some(other), budget), String::new()),
        };
        section(&mut out, styling, l.function, &name, false);
        section(&mut out, styling, l.arguments, &arguments, true);
    }
    if let Value::Object(all) = context {
        let others: serde_json::Map<String, Value> = all
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !others.is_empty() {
            let others = html(Some(&Value::Object(others)), budget);
            section(&mut out, styling, l.other, &others, true);
        }
    }
    let mut details = format!(
        "{}: {} · {}: {} · {}: {}",
        l.task, record.task_id, l.conversation, record.conversation_id, l.kind, record.loop_type
    );
    if let Some(deadline) = &record.deadline_at {
        details.push_str(&format!(" · {}: {deadline}", l.deadline));
    }
    out.push_str(&format!(
        "<p {}>{}</p></div>",
        styling.attr("color:#57606a;font-size:12px;margin:12px 0", "req-details"),
        escape_html(&details)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(context: Value) -> RequestRecord {
        RequestRecord {
            id: "h1".into(),
            tenant: 1,
            task_id: "t<1>".into(),
            conversation_id: "c".into(),
            request_id: "r".into(),
            platform: "p".into(),
            loop_type: gohumanloop::model::LoopType::Approval,
            context,
            metadata: json!({}),
            status: gohumanloop::model::Status::Pending,
            response: None,
            feedback: None,
            responded_by: None,
            responded_at: None,
            error: None,
            created_at: "2026-11-25T10:00:00Z".into(),
            updated_at: "2026-11-25T10:00:00Z".into(),
            deadline_at: None,
            plan: None,
            tally: None,
        }
    }

    #[test]
    fn every_value_is_escaped_and_the_question_leads() {
        let record = record(json!({
            "question": "<script>alert(1)</script>",
            "function": {"name": "deploy", "arguments": {"env": "prod"}},
            "ticket": "T-9",
        }));
        let html = request_html(&record, EmailLanguage::En, Styling::Inline);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;</h2>"));
        assert!(html.contains("&#34;env&#34;: &#34;prod&#34;"));
        assert!(html.contains("T-9") && html.contains("t&lt;1&gt;"));
        let page = request_html(&record, EmailLanguage::Zh, Styling::Classes);
        assert!(
            page.contains("参数") && page.contains("class=\"req-pre\"") && !page.contains("style=")
        );
    }

    #[test]
    fn a_huge_context_is_folded_not_multiplied() {
        // About 1 MB of JSON nested 100 deep: pretty-printed whole, it was over 60 MB.
        let chain = (0..100).fold(json!(1), |inner, _| Value::Array(vec![inner]));
        let big = record(json!({
            "question": "q".repeat(2_000_000),
            "function": {"name": "f", "arguments": vec![chain; 5_000]},
        }));
        let html = request_html(&big, EmailLanguage::En, Styling::Inline);
        assert!(html.len() < 1_100_000, "{}", html.len());
        assert!(html.contains("more characters") && html.contains("more items"));
    }
}
