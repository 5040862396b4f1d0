//! The audit trail as a person reads it: when, who, which channel, and what happened in words
//! ("Approved · edited amount — “capped at 90”"); the recorded statuses, detail and hashes
//! folded away.

use serde_json::Value;

use super::super::view::{short_time, shorten};
use crate::html::i18n::Texts;
use crate::json_view::Budget;
use crate::record::AuditEntry;

/// The longest answer or reason an audit line quotes, in characters.
const QUOTE_CHARS: usize = 200;

/// One entry of the audit trail.
pub(crate) struct AuditLine {
    /// RFC 3339.
    pub at: String,
    /// `YYYY-MM-DD HH:MM`.
    pub when: String,
    /// Who (and, when the channel said, how people know them).
    pub who: String,
    /// Which way.
    pub channel: String,
    /// What happened, in words.
    pub what: String,
    /// `pending → approved`.
    pub change: String,
    /// The detail as recorded (escaped HTML).
    pub detail: String,
    /// The entry's hash.
    pub hash: String,
}

/// What an entry records, in the approver's language.
pub(crate) fn what(t: &Texts, entry: &AuditEntry, detail: &Value) -> String {
    if entry.old_status.is_none() {
        return t.created_event.to_owned();
    }
    let mut what = t.decided_name(entry.new_status).to_owned();
    let response = detail.get("response").filter(|r| !r.is_null());
    if let Some(keys) = response
        .and_then(|r| r.get("edited_keys"))
        .and_then(Value::as_array)
    {
        let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        what.push_str(&format!(" · {} {}", t.edited, keys.join(", ")));
    }
    let said = response.and_then(|r| match r {
        Value::String(text) => Some(text.as_str()),
        _ => ["reason", "information", "message"]
            .iter()
            .find_map(|key| r.get(*key).and_then(Value::as_str)),
    });
    if let Some(said) = said.map(str::trim).filter(|s| !s.is_empty()) {
        let one_line = said.split_whitespace().collect::<Vec<_>>().join(" ");
        what.push_str(&format!(" — “{}”", shorten(&one_line, QUOTE_CHARS)));
    }
    if let Some(error) = detail.get("error").and_then(Value::as_str) {
        what.push_str(&format!(": {}", shorten(error, QUOTE_CHARS)));
    }
    what
}

/// An entry as the page shows it; its recorded detail spends from `budget`.
pub(crate) fn line(t: &Texts, entry: &AuditEntry, budget: &mut Budget) -> AuditLine {
    let detail: Value = serde_json::from_str(&entry.detail).unwrap_or(Value::Null);
    let who = match detail.get("actor_name").and_then(Value::as_str) {
        Some(name) if name != entry.actor => format!("{} ({name})", entry.actor),
        _ => entry.actor.clone(),
    };
    AuditLine {
        what: what(t, entry, &detail),
        at: entry.at.clone(),
        when: short_time(&entry.at),
        who,
        channel: entry.channel.clone(),
        change: format!(
            "{} → {}",
            entry.old_status.map_or("—", |s| s.as_str()),
            entry.new_status
        ),
        detail: budget.text(&entry.detail),
        hash: entry.hash.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::i18n::Lang;
    use gohumanloop::model::Status;
    use serde_json::json;

    fn entry(old: Option<Status>, new: Status, detail: Value) -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: "2026-01-31T12:34:56.000Z".into(),
            tenant: 1,
            request: "r".into(),
            actor: "alice".into(),
            channel: "web".into(),
            old_status: old,
            new_status: new,
            detail: detail.to_string(),
            prev_hash: String::new(),
            hash: "h".into(),
        }
    }

    #[test]
    fn entries_read_as_words() {
        let t = Lang::En.texts();
        let mut budget = Budget::page(crate::json_view::Words::En);
        let created = entry(None, Status::Pending, json!({"context_sha256": "ab"}));
        assert_eq!(line(t, &created, &mut budget).what, "Created");
        let approved = entry(
            Some(Status::Pending),
            Status::Approved,
            json!({"response": {"decision": "approved", "reason": "capped\n at 90",
                "arguments": {"amount": 90}, "edited": true, "edited_keys": ["amount"]},
                "feedback": null, "error": null, "actor_name": "Alice A."}),
        );
        let shown = line(t, &approved, &mut budget);
        assert_eq!(shown.what, "Approved · edited amount — “capped at 90”");
        assert_eq!(shown.who, "alice (Alice A.)");
        assert_eq!(shown.when, "2026-01-31 12:34");
        assert_eq!(shown.change, "pending → approved");
        let cancelled = entry(
            Some(Status::Pending),
            Status::Cancelled,
            json!({"response": null, "feedback": null, "error": null}),
        );
        assert_eq!(line(t, &cancelled, &mut budget).what, "Request cancelled");
        let zh = Lang::Zh.texts();
        let answered = entry(
            Some(Status::Pending),
            Status::Completed,
            json!({"response": {"information": "42"}}),
        );
        assert_eq!(line(zh, &answered, &mut budget).what, "已完成 — “42”");
    }
}
