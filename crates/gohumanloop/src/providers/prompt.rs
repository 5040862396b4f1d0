//! How a request reads as text (the terminal and the e-mails): the original's sections, plus
//! the function and deadline.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::model::HumanLoopRequest;

const KNOWN_KEYS: [&str; 4] = ["message", "additional", "question", "function"];

/// Renders a request as the original's text sections (`=== Task Information ===` … `=== END ===`).
/// Titles are bright blue when `color` is set.
pub fn render(request: &HumanLoopRequest, color: bool) -> String {
    let title = |t: &str| {
        if color {
            format!("\x1b[94m=== {t} ===\x1b[0m\n")
        } else {
            format!("=== {t} ===\n")
        }
    };
    let mut out = title("Task Information");
    out += &format!("Task ID: {}\n", request.task_id);
    out += &format!("Conversation ID: {}\n", request.conversation_id);
    out += &format!(
        "Request ID: {}\n",
        request.request_id.as_deref().unwrap_or("")
    );
    out += &format!("HumanLoop Type: {}\n", request.loop_type);
    if let Some(created) = request.created_at {
        out += &format!("Created At: {}\n", rfc3339(created));
    }
    if let Some(deadline) = deadline(request) {
        out += &format!(
            "Deadline: {} ({} left)\n",
            rfc3339(deadline),
            human_duration(remaining(deadline))
        );
    }
    let context = &request.context;
    let mut section = |name: &str, body: String| {
        if !body.trim().is_empty() {
            out += &title(name);
            out += body.trim_end();
            out.push('\n');
        }
    };
    section(
        "Main Context",
        context.get("message").map(text).unwrap_or_default(),
    );
    section(
        "Additional Context",
        context.get("additional").map(text).unwrap_or_default(),
    );
    section(
        "Function",
        context.get("function").map(function).unwrap_or_default(),
    );
    let others: serde_json::Map<String, Value> = context
        .iter()
        .filter(|(k, _)| !KNOWN_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !others.is_empty() {
        section("Other Context", text(&Value::Object(others)));
    }
    if !request.metadata.is_empty() {
        section("Metadata", text(&Value::Object(request.metadata.clone())));
    }
    section(
        "Question",
        context.get("question").map(text).unwrap_or_default(),
    );
    out + &title("END")
}

/// A string as itself, anything else as pretty JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// `name(arguments)` with the arguments as pretty JSON.
fn function(value: &Value) -> String {
    let Some(map) = value.as_object() else {
        return text(value);
    };
    let name = map
        .get("function_name")
        .or_else(|| map.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    let mut out = format!("Name: {name}\n");
    if let Some(args) = map.get("arguments") {
        out += &format!("Arguments:\n{}\n", text(args));
    }
    for (k, v) in map {
        if !matches!(k.as_str(), "function_name" | "name" | "arguments") {
            out += &format!("{k}: {}\n", text(v));
        }
    }
    out
}

/// When the request expires, if it has a timeout.
pub fn deadline(request: &HumanLoopRequest) -> Option<OffsetDateTime> {
    let created = request.created_at?;
    let timeout = request.effective_timeout()?;
    Some(created + timeout)
}

/// How long until `deadline` (zero once it passed).
pub fn remaining(deadline: OffsetDateTime) -> Duration {
    let left = deadline - OffsetDateTime::now_utc();
    left.try_into().unwrap_or(Duration::ZERO)
}

/// `1h 02m 03s`, `4m 05s`, `9s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, min, sec) => format!("{min}m {sec:02}s"),
        (h, min, sec) => format!("{h}h {min:02}m {sec:02}s"),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoopType;
    use serde_json::json;

    #[test]
    fn sections_appear_only_when_filled() {
        let ctx = json!({"message": "Delete files", "question": "OK?", "function": {"function_name": "rm", "arguments": {"path": "/tmp"}}, "extra": 1});
        let mut r = HumanLoopRequest::new(
            "t",
            "c",
            LoopType::Approval,
            ctx.as_object().unwrap().clone(),
        );
        r.request_id = Some("r".into());
        let text = render(&r, false);
        for needle in [
            "=== Task Information ===",
            "Task ID: t",
            "Request ID: r",
            "HumanLoop Type: approval",
            "=== Main Context ===\nDelete files",
            "=== Function ===\nName: rm",
            "\"path\": \"/tmp\"",
            "=== Other Context ===",
            "=== Question ===\nOK?",
            "=== END ===",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        assert!(!text.contains("Additional Context"));
        assert!(!text.contains("Metadata"));
        assert!(!text.contains("\x1b["));
        assert!(render(&r, true).contains("\x1b[94m=== END ===\x1b[0m"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_secs(9)), "9s");
        assert_eq!(human_duration(Duration::from_secs(245)), "4m 05s");
        assert_eq!(human_duration(Duration::from_secs(3723)), "1h 02m 03s");
    }
}
