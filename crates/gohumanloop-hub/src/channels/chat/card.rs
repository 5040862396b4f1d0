//! What a chat card shows, whatever the platform: the request laid out as the inbox lays it
//! out (question, message, context, the function and its arguments, deadline), the buttons its
//! loop type allows, and — once it is decided anywhere, expires or is cancelled — one final
//! line saying what happened, by whom and when. Each platform renders a [`Card`] in its own
//! format; none decides what a status means here.

use gohumanloop::model::{LoopType, Status};
use gohumanloop::providers::email::EmailLanguage;
use serde_json::Value;

use super::people::Directory;
use crate::core::Action;
use crate::record::RequestRecord;

/// The most characters one field shows (chat platforms cap a block's text at a few thousand).
const MAX_FIELD: usize = 1_500;
/// The most bytes of a value's compact JSON that are pretty-printed.
const MAX_JSON: usize = 6_000;

/// A request as a chat card.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Card {
    /// The heading: what is asked, and from which agent platform.
    pub title: String,
    /// The request's context, labelled, in the inbox's order.
    pub fields: Vec<Field>,
    /// Task, conversation, type and deadline in one line.
    pub details: String,
    /// While a quorum is being reached: its label and `1 of 2 approvals, 0 rejections`.
    pub votes: Option<(&'static str, String)>,
    /// Buttons, or the final line.
    pub state: CardState,
}

impl Card {
    /// The card as plain text (an approval form's text control): title, fields, details.
    pub(crate) fn text(&self) -> String {
        let mut text = self.title.clone();
        for field in &self.fields {
            text.push_str(&format!("\n\n{}:\n{}", field.label, field.text));
        }
        text.push_str(&format!("\n\n{}", self.details_line()));
        text
    }

    /// The details, and the votes when there are any, in one line.
    pub(crate) fn details_line(&self) -> String {
        match &self.votes {
            Some((label, votes)) => format!("{} · {label}: {votes}", self.details),
            None => self.details.clone(),
        }
    }
}

/// One labelled part of the context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// Its label.
    pub label: &'static str,
    /// Its text, cut at [`MAX_FIELD`] characters.
    pub text: String,
    /// Whether it is code (arguments, other context as JSON).
    pub code: bool,
}

/// Whether the card can still be acted on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CardState {
    /// Pending: these buttons.
    Open(Vec<Button>),
    /// Decided, expired, cancelled or failed: this line, no buttons.
    Closed(String),
}

/// A button of an open card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Button {
    /// What it does.
    pub action: Action,
    /// Its label.
    pub label: &'static str,
    /// Whether it asks for a text first (a reason, an answer, a reply).
    pub needs_text: bool,
    /// Its look.
    pub style: ButtonStyle,
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ButtonStyle {
    /// The expected action.
    Primary,
    /// A refusal.
    Danger,
    /// Anything else.
    Plain,
}

struct Words {
    approval: &'static str,
    information: &'static str,
    conversation: &'static str,
    question: &'static str,
    message: &'static str,
    additional: &'static str,
    function: &'static str,
    arguments: &'static str,
    other: &'static str,
    task: &'static str,
    conversation_label: &'static str,
    deadline: &'static str,
    approve: &'static str,
    reject: &'static str,
    answer: &'static str,
    reply: &'static str,
    complete: &'static str,
    by: &'static str,
    at: &'static str,
    more: &'static str,
    /// "Votes": "{approvals} of {needed} approvals, {rejections} rejections" in parts.
    votes: [&'static str; 4],
}

fn words(language: EmailLanguage) -> &'static Words {
    match language {
        EmailLanguage::En => &Words {
            approval: "Approval requested",
            information: "Information requested",
            conversation: "Conversation",
            question: "Question",
            message: "Message",
            additional: "Additional context",
            function: "Function",
            arguments: "Arguments",
            other: "Other context",
            task: "Task",
            conversation_label: "Conversation",
            deadline: "Deadline",
            approve: "Approve",
            reject: "Reject",
            answer: "Answer",
            reply: "Reply",
            complete: "Reply and end",
            by: "by",
            at: "at",
            more: "more characters",
            votes: ["Votes", " of ", " approvals, ", " rejections"],
        },
        EmailLanguage::Zh => &Words {
            approval: "审批请求",
            information: "信息请求",
            conversation: "对话",
            question: "问题",
            message: "消息",
            additional: "补充信息",
            function: "函数",
            arguments: "参数",
            other: "其他上下文",
            task: "任务",
            conversation_label: "对话",
            deadline: "截止时间",
            approve: "批准",
            reject: "拒绝",
            answer: "回答",
            reply: "回复",
            complete: "回复并结束",
            by: "处理人",
            at: "时间",
            more: "个字符未显示",
            votes: ["投票", " / ", "，拒绝 ", ""],
        },
    }
}

/// Cuts `text` at [`MAX_FIELD`] characters, saying how many were left out.
fn cut(text: &str, w: &Words) -> String {
    let text = text.trim();
    let count = text.chars().count();
    if count <= MAX_FIELD {
        return text.to_owned();
    }
    let kept: String = text.chars().take(MAX_FIELD).collect();
    format!("{kept}… ({} {})", count - MAX_FIELD, w.more)
}

/// A value as text: a string as it is, anything else as (pretty, if small) JSON.
fn shown(value: &Value) -> (String, bool) {
    match value {
        Value::String(s) => (s.clone(), false),
        other => {
            let compact = other.to_string();
            if compact.len() > MAX_JSON {
                return (compact, true);
            }
            (serde_json::to_string_pretty(other).unwrap_or(compact), true)
        }
    }
}

/// The request as a card, in `language`; names shown through `directory`.
pub(crate) fn card(record: &RequestRecord, language: EmailLanguage, directory: &Directory) -> Card {
    let w = words(language);
    let kind = match record.loop_type {
        LoopType::Approval => w.approval,
        LoopType::Information => w.information,
        LoopType::Conversation => w.conversation,
    };
    let mut fields = Vec::new();
    let mut add = |label: &'static str, value: Option<&Value>| {
        if let Some(value) = value.filter(|v| !v.is_null()) {
            let (text, code) = shown(value);
            if !text.trim().is_empty() {
                fields.push(Field {
                    label,
                    text: cut(&text, w),
                    code,
                });
            }
        }
    };
    let context = &record.context;
    add(w.question, context.get("question"));
    add(w.message, context.get("message"));
    add(w.additional, context.get("additional"));
    match context.get("function") {
        Some(Value::Object(f)) => {
            add(w.function, f.get("name"));
            add(w.arguments, f.get("arguments"));
        }
        other => add(w.function, other),
    }
    match context {
        Value::Object(all) => {
            let others: serde_json::Map<String, Value> = all
                .iter()
                .filter(|(k, _)| {
                    !["question", "message", "additional", "function"].contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !others.is_empty() {
                add(w.other, Some(&Value::Object(others)));
            }
        }
        Value::Null => {}
        other => add(w.other, Some(other)),
    }
    let mut details = format!(
        "{}: {} · {}: {}",
        w.task, record.task_id, w.conversation_label, record.conversation_id
    );
    if let Some(deadline) = &record.deadline_at {
        details.push_str(&format!(" · {}: {deadline}", w.deadline));
    }
    let votes = record.open_tally().map(|(approvals, rejections, needed)| {
        let [label, of, approved, rejected] = w.votes;
        let shown = format!("{approvals}{of}{needed}{approved}{rejections}{rejected}");
        (label, shown)
    });
    let state = match record.status {
        Status::Pending => CardState::Open(buttons(record.loop_type, w)),
        _ => CardState::Closed(closing(record, language, directory)),
    };
    Card {
        title: format!("{kind} · {}", record.platform),
        fields,
        details,
        votes,
        state,
    }
}

fn buttons(loop_type: LoopType, w: &Words) -> Vec<Button> {
    let button = |action, label, needs_text, style| Button {
        action,
        label,
        needs_text,
        style,
    };
    let reject = button(Action::Reject, w.reject, true, ButtonStyle::Danger);
    match loop_type {
        LoopType::Approval => vec![
            button(Action::Approve, w.approve, false, ButtonStyle::Primary),
            reject,
        ],
        LoopType::Information => vec![
            button(Action::Answer, w.answer, true, ButtonStyle::Primary),
            reject,
        ],
        LoopType::Conversation => vec![
            button(Action::Reply, w.reply, true, ButtonStyle::Primary),
            button(Action::Complete, w.complete, true, ButtonStyle::Plain),
            reject,
        ],
    }
}

/// The final line of a request that is no longer pending: `Approved by Alice Chen at T:
/// reason`.
pub(crate) fn closing(
    record: &RequestRecord,
    language: EmailLanguage,
    directory: &Directory,
) -> String {
    let zh = language == EmailLanguage::Zh;
    let what = match (record.status, record.loop_type, zh) {
        (Status::Approved, _, false) => "✅ Approved",
        (Status::Approved, _, true) => "✅ 已批准",
        (Status::Rejected, _, false) => "❌ Rejected",
        (Status::Rejected, _, true) => "❌ 已拒绝",
        (Status::Completed, LoopType::Information, false) => "✅ Answered",
        (Status::Completed, LoopType::Information, true) => "✅ 已回答",
        (Status::Completed, _, false) => "✅ Completed",
        (Status::Completed, _, true) => "✅ 已完成",
        (Status::InProgress, _, false) => "💬 Replied",
        (Status::InProgress, _, true) => "💬 已回复",
        (Status::Expired, _, false) => "⌛ Expired",
        (Status::Expired, _, true) => "⌛ 已过期",
        (Status::Cancelled, _, false) => "🚫 Cancelled",
        (Status::Cancelled, _, true) => "🚫 已取消",
        (Status::Error, _, false) => "⚠️ Failed",
        (Status::Error, _, true) => "⚠️ 出错",
        (Status::Pending, _, false) => "Pending",
        (Status::Pending, _, true) => "待处理",
    };
    let w = words(language);
    let mut line = what.to_owned();
    if let Some(who) = &record.responded_by {
        line.push_str(&format!(" {} {}", w.by, directory.shown(who)));
    }
    let at = record.responded_at.as_deref().unwrap_or(&record.updated_at);
    line.push_str(&format!(" {} {at}", w.at));
    if let Some(said) = said(record) {
        line.push_str(&format!(": {}", cut(&said, w)));
    }
    if let (Status::Error, Some(error)) = (record.status, &record.error) {
        line.push_str(&format!(": {}", cut(error, w)));
    }
    line
}

/// The words of the response: a reason, an answer, a reply.
fn said(record: &RequestRecord) -> Option<String> {
    let response = record.response.as_ref()?;
    ["reason", "information", "message"]
        .iter()
        .find_map(|key| response.get(*key).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The title and the label of the text a button asks for.
pub(crate) fn prompt(action: Action, language: EmailLanguage) -> (&'static str, &'static str) {
    match (action, language == EmailLanguage::Zh) {
        (Action::Reject, false) => ("Reject", "Why? (the agent is told)"),
        (Action::Reject, true) => ("拒绝", "原因（会告知智能体）"),
        (Action::Answer, false) => ("Answer", "Your answer"),
        (Action::Answer, true) => ("回答", "你的回答"),
        (Action::Reply, false) => ("Reply", "Your reply"),
        (Action::Reply, true) => ("回复", "你的回复"),
        (Action::Complete, false) => ("Reply and end", "Your last reply"),
        (Action::Complete, true) => ("回复并结束", "最后的回复"),
        (_, false) => ("Approve", "A note (optional)"),
        (_, true) => ("批准", "备注（可选）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::chat::people::Approver;
    use crate::policy::Tally;
    use crate::record::tests_support::record;
    use serde_json::json;

    #[test]
    fn an_open_card_lays_the_request_out_and_offers_its_type_s_buttons() {
        let mut r = record("h1");
        r.context = json!({"question": "Deploy?", "function": {"name": "deploy",
            "arguments": {"env": "prod"}}, "ticket": "T-9"});
        r.deadline_at = Some("2026-11-25T11:00:00Z".into());
        let c = card(&r, EmailLanguage::En, &Directory::default());
        assert_eq!(c.title, "Approval requested · p");
        let labels: Vec<_> = c.fields.iter().map(|f| f.label).collect();
        assert_eq!(
            labels,
            ["Question", "Function", "Arguments", "Other context"]
        );
        assert!(c.fields[2].code && c.fields[2].text.contains("\"env\": \"prod\""));
        assert!(c.details.ends_with("Deadline: 2026-11-25T11:00:00Z"));
        let CardState::Open(buttons) = c.state else {
            panic!("pending is open")
        };
        let actions: Vec<_> = buttons.iter().map(|b| (b.action, b.needs_text)).collect();
        assert_eq!(actions, [(Action::Approve, false), (Action::Reject, true)]);
        r.loop_type = LoopType::Conversation;
        let CardState::Open(buttons) = card(&r, EmailLanguage::En, &Directory::default()).state
        else {
            panic!("pending is open")
        };
        assert_eq!(buttons.len(), 3);
    }

    #[test]
    fn a_pending_card_counts_the_votes_and_a_decided_one_does_not() {
        let mut r = record("h1");
        r.tally = Some(Tally::Pending {
            approvals: 1,
            rejections: 0,
            needed: 2,
        });
        let c = card(&r, EmailLanguage::En, &Directory::default());
        assert_eq!(
            c.details_line(),
            format!("{} · Votes: 1 of 2 approvals, 0 rejections", c.details)
        );
        let c = card(&r, EmailLanguage::Zh, &Directory::default());
        assert_eq!(c.votes, Some(("投票", "1 / 2，拒绝 0".to_owned())));
        r.status = Status::Approved;
        r.tally = Some(Tally::Approved { approvals: 2 });
        let c = card(&r, EmailLanguage::En, &Directory::default());
        assert_eq!(c.details_line(), c.details);
        assert_eq!(c.votes, None);
    }

    #[test]
    fn a_closed_card_says_who_decided_when_and_why_and_long_text_is_cut() {
        let directory = Directory::new(vec![Approver {
            name: "alice".into(),
            display_name: Some("Alice Chen".into()),
            ..Approver::default()
        }]);
        let mut r = record("h1");
        r.status = Status::Rejected;
        r.responded_by = Some("alice".into());
        r.responded_at = Some("2026-11-25T10:05:00Z".into());
        r.response = Some(json!({"decision": "rejected", "reason": "not on a Friday"}));
        let c = card(&r, EmailLanguage::En, &directory);
        assert_eq!(
            c.state,
            CardState::Closed(
                "❌ Rejected by Alice Chen at 2026-11-25T10:05:00Z: not on a Friday".into()
            )
        );
        r.status = Status::Expired;
        r.responded_by = None;
        r.response = None;
        assert_eq!(
            closing(&r, EmailLanguage::Zh, &directory),
            "⌛ 已过期 时间 2026-11-25T10:05:00Z"
        );
        r.context = json!({"question": "q".repeat(5_000)});
        let c = card(&r, EmailLanguage::En, &directory);
        assert!(c.fields[0].text.ends_with("… (3500 more characters)"));
    }
}
