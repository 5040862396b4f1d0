//! Turning stored requests into what a page shows.

use serde_json::Value;

use crate::json_view::{Budget, Markup};
use crate::record::{rfc3339_to_ms, RequestRecord};

/// The line that names a request: its question, else its message, shortened to `max` characters.
pub(crate) fn title_of(context: &Value, max: usize) -> String {
    let text = ["question", "message", "additional"]
        .iter()
        .find_map(|key| match context.get(*key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        })
        .or_else(|| {
            context
                .pointer("/function/function_name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "—".to_owned());
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > max {
        let mut short: String = one_line.chars().take(max).collect();
        short.push('…');
        short
    } else {
        one_line
    }
}

/// What the agent wants to do, on one line: its function's name and its most telling
/// arguments — the scalar ones first, in the agent's order — as `pay(invoice: "INV-7",
/// amount: 1200, …)`, shortened to `max` characters; `None` without a function.
pub(crate) fn summary_of(context: &Value, max: usize) -> Option<String> {
    let function = context.get("function")?;
    let name = function
        .get("function_name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())?;
    let shown = |value: &Value| match value {
        Value::String(text) => shorten(&format!("{text:?}"), 40),
        Value::Array(_) => "[…]".to_owned(),
        Value::Object(_) => "{…}".to_owned(),
        other => shorten(&other.to_string(), 40),
    };
    let arguments = match function.get("arguments") {
        Some(Value::Object(map)) => {
            let mut by_weight: Vec<(&String, &Value)> = map.iter().collect();
            // Scalars tell more than nested values; the sort is stable, so the agent's order
            // holds within each kind.
            by_weight.sort_by_key(|(_, v)| matches!(v, Value::Array(_) | Value::Object(_)));
            let mut parts: Vec<String> = by_weight
                .iter()
                .take(3)
                .map(|(k, v)| format!("{k}: {}", shown(v)))
                .collect();
            if map.len() > 3 {
                parts.push("…".to_owned());
            }
            parts.join(", ")
        }
        Some(Value::String(text)) => text.split_whitespace().collect::<Vec<_>>().join(" "),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Some(shorten(&format!("{name}({arguments})"), max))
}

/// `text` cut to `max` characters, with `…` when it was cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// One part of what an agent said: text (with the speaker's role when the message names one)
/// or, for any other shape, pretty JSON. Escaped HTML either way.
pub(crate) struct Part {
    /// `assistant`, `user`, … for a `{role, content}` message.
    pub role: Option<String>,
    /// The escaped HTML: text with its line breaks, or indented JSON.
    pub html: String,
    /// Whether `html` is JSON.
    pub json: bool,
}

/// The shapes a message comes in: text, `{role, content}`, a list of those, anything else.
enum Shape<'a> {
    Text(Option<&'a str>, String),
    Json(Option<&'a str>, &'a Value),
}

/// The text of a message's `content`: a string, or a list of `{"type": "text", "text": …}`
/// blocks (as chat APIs send them).
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(blocks) if !blocks.is_empty() => blocks
            .iter()
            .map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Option<Vec<&str>>>()
            .map(|texts| texts.join("\n")),
        _ => None,
    }
}

/// `{role, content}` with a string role.
fn role_content(value: &Value) -> Option<(&str, &Value)> {
    let map = value.as_object()?;
    Some((map.get("role")?.as_str()?, map.get("content")?))
}

/// One `{role, content}` message.
fn turn<'a>(role: &'a str, content: &'a Value) -> Shape<'a> {
    match content_text(content) {
        Some(text) => Shape::Text(Some(role), text),
        None => Shape::Json(Some(role), content),
    }
}

fn shapes(value: &Value) -> Vec<Shape<'_>> {
    match value {
        Value::Null => Vec::new(),
        Value::String(text) if text.trim().is_empty() => Vec::new(),
        Value::String(text) => vec![Shape::Text(None, text.clone())],
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|i| role_content(i).is_some()) =>
        {
            items
                .iter()
                .filter_map(role_content)
                .map(|(role, content)| turn(role, content))
                .collect()
        }
        other => match role_content(other) {
            Some((role, content)) => vec![turn(role, content)],
            None => vec![Shape::Json(None, other)],
        },
    }
}

/// A message (or any value an agent said) as prose: text as text, the role of a `{role,
/// content}` message (or of each in a list) as a label, anything else as indented JSON;
/// within the page's `budget`. Empty for nothing worth showing.
pub(crate) fn prose_of(value: Option<&Value>, budget: &mut Budget) -> Vec<Part> {
    let Some(value) = value else {
        return Vec::new();
    };
    shapes(value)
        .into_iter()
        .map(|shape| match shape {
            Shape::Text(role, text) => Part {
                role: role.map(str::to_owned),
                html: budget.text(&text),
                json: false,
            },
            Shape::Json(role, json) => Part {
                role: role.map(str::to_owned),
                html: budget.json(json, Markup::Highlight),
                json: true,
            },
        })
        .collect()
}

/// What an agent said, for a line of a thread: each part as text of at most `max`
/// characters (JSON on one line), with its role when the message names one.
pub(crate) fn said_lines(value: Option<&Value>, max: usize) -> Vec<(Option<String>, String)> {
    let Some(value) = value else {
        return Vec::new();
    };
    shapes(value)
        .into_iter()
        .map(|shape| {
            let (role, text) = match shape {
                Shape::Text(role, text) => (role, text),
                Shape::Json(role, json) => (role, json.to_string()),
            };
            (role.map(str::to_owned), shorten(&text, max))
        })
        .collect()
}

/// The quick answers an information request offers: `context.options`, else
/// `metadata.options`, each a non-empty string (at most 20, of at most 200 characters).
pub(crate) fn options_of(context: &Value, metadata: &Value) -> Vec<String> {
    let listed = |v: &Value| v.get("options").and_then(Value::as_array).cloned();
    listed(context)
        .or_else(|| listed(metadata))
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|o| !o.is_empty() && o.chars().count() <= 200)
        .take(20)
        .map(str::to_owned)
        .collect()
}

/// The short scalar entries of a request's metadata, worth showing at once (a `risk` note):
/// strings of at most 200 characters, numbers and booleans, at most 12, in the agent's order.
pub(crate) fn short_metadata(metadata: &Value) -> Vec<(String, String)> {
    let Some(map) = metadata.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(key, _)| key.as_str() != "options")
        .filter_map(|(key, value)| {
            let shown = match value {
                Value::String(s) if !s.trim().is_empty() && s.chars().count() <= 200 => {
                    s.trim().to_owned()
                }
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((key.clone(), shown))
        })
        .take(12)
        .collect()
}

/// `2026-01-31T12:00:00.123Z` → `2026-01-31 12:00` (UTC).
pub(crate) fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replacen('T', " ", 1)
}

/// The deadline of a pending request, in Unix ms.
pub(crate) fn deadline_ms(record: &RequestRecord) -> Option<i64> {
    if record.status.is_terminal() || record.status == gohumanloop::model::Status::InProgress {
        return None;
    }
    record.deadline_at.as_deref().and_then(rfc3339_to_ms)
}

/// A value as text if it is a string, else as highlighted JSON; escaped HTML either way, cut
/// to the page's [`Budget`].
pub(crate) struct Shown {
    html: String,
    text: bool,
}

impl Shown {
    /// How to show a value; `None` for nothing worth showing.
    pub(crate) fn of(value: Option<&Value>, budget: &mut Budget) -> Option<Self> {
        match value {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::Object(m)) if m.is_empty() => None,
            Some(Value::String(s)) => Some(Self::text(s, budget)),
            Some(other) => Some(Shown {
                html: budget.json(other, Markup::Highlight),
                text: false,
            }),
        }
    }

    /// How to show an answer: the original's text shapes (`{"message": …}`,
    /// `{"information": …}`) as their text, anything else as [`Shown::of`] does.
    pub(crate) fn answer(value: Option<&Value>, budget: &mut Budget) -> Option<Self> {
        if let Some(Value::Object(map)) = value {
            if map.len() == 1 {
                if let Some(Value::String(text)) = map.get("message").or(map.get("information")) {
                    return Some(Self::text(text, budget));
                }
            }
        }
        Self::of(value, budget)
    }

    /// Plain text.
    pub(crate) fn text(text: &str, budget: &mut Budget) -> Self {
        Shown {
            html: budget.text(text),
            text: true,
        }
    }

    /// Whether it is plain text.
    pub(crate) fn is_text(&self) -> bool {
        self.text
    }

    /// The escaped HTML.
    pub fn content(&self) -> &str {
        &self.html
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn titles_prefer_the_question_and_stay_on_one_short_line() {
        let c = json!({"message": "m", "question": "  Deploy\n to prod?  "});
        assert_eq!(title_of(&c, 50), "Deploy to prod?");
        assert_eq!(title_of(&json!({"message": "abcdef"}), 3), "abc…");
        assert_eq!(
            title_of(&json!({"function": {"function_name": "rm"}}), 9),
            "rm"
        );
        assert_eq!(title_of(&json!({}), 9), "—");
    }

    #[test]
    fn text_answers_are_shown_as_text() {
        let text = |v: Value| {
            let mut budget = Budget::page(crate::json_view::Words::En);
            Shown::answer(Some(&v), &mut budget)
                .filter(Shown::is_text)
                .map(|s| s.content().to_owned())
        };
        assert_eq!(
            text(json!({"message": "hi <b>"})),
            Some("hi &#60;b&#62;".into())
        );
        assert_eq!(text(json!({"information": "42"})), Some("42".into()));
        assert_eq!(text(json!({"message": "a", "extra": 1})), None);
        assert_eq!(text(json!({"decision": "approved"})), None);
    }

    #[test]
    fn summaries_name_the_function_and_its_telling_arguments() {
        let pay = json!({"function": {"function_name": "pay",
            "arguments": {"lines": [1, 2], "invoice": "INV-7", "amount": 1200, "to": null}}});
        assert_eq!(
            summary_of(&pay, 200).as_deref(),
            Some(r#"pay(invoice: "INV-7", amount: 1200, to: null, …)"#)
        );
        assert_eq!(summary_of(&pay, 12).as_deref(), Some("pay(invoice…"));
        let python = json!({"function": {"function_name": "rm", "arguments": "('/tmp/x',)"}});
        assert_eq!(summary_of(&python, 80).as_deref(), Some("rm(('/tmp/x',))"));
        assert_eq!(summary_of(&json!({"question": "q"}), 80), None);
        let long = json!({"function": {"function_name": "f", "arguments": {"a": "x".repeat(99)}}});
        let summary = summary_of(&long, 200).unwrap();
        assert!(summary.chars().count() < 60, "{summary}");
    }

    #[test]
    fn messages_read_as_prose_with_their_roles() {
        let mut budget = Budget::page(crate::json_view::Words::En);
        let mut parts = |v: Value| -> Vec<(Option<String>, String, bool)> {
            prose_of(Some(&v), &mut budget)
                .into_iter()
                .map(|p| (p.role, p.html, p.json))
                .collect()
        };
        assert_eq!(
            parts(json!("a <b>\nline")),
            [(None, "a &#60;b&#62;\nline".to_owned(), false)]
        );
        assert_eq!(
            parts(json!({"role": "assistant", "content": "hi"})),
            [(Some("assistant".to_owned()), "hi".to_owned(), false)]
        );
        let blocks = json!([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]);
        let chat = json!([{"role": "user", "content": "q"},
            {"role": "assistant", "content": blocks}]);
        assert_eq!(
            parts(chat),
            [
                (Some("user".to_owned()), "q".to_owned(), false),
                (Some("assistant".to_owned()), "a\nb".to_owned(), false)
            ]
        );
        let other = parts(json!({"amount": 1}));
        assert_eq!(other.len(), 1);
        assert!(other[0].2 && other[0].1.contains("amount"), "{other:?}");
        assert!(parts(json!("  ")).is_empty());
        assert!(prose_of(None, &mut budget).is_empty());
    }

    #[test]
    fn thread_lines_are_cut_text() {
        let lines = said_lines(
            Some(&json!({"role": "assistant", "content": "x".repeat(50)})),
            10,
        );
        assert_eq!(
            lines,
            [(Some("assistant".to_owned()), format!("{}…", "x".repeat(9)))]
        );
        assert_eq!(
            said_lines(Some(&json!({"a": [1, 2]})), 100),
            [(None, "{\"a\":[1,2]}".to_owned())]
        );
    }

    #[test]
    fn options_and_short_metadata() {
        let context = json!({"options": ["eu-west-1", " ", 7, "us-east-1"]});
        assert_eq!(options_of(&context, &json!({})), ["eu-west-1", "us-east-1"]);
        let metadata = json!({"options": ["yes", "no"], "risk": "moves money", "level": 3,
            "nested": {"a": 1}, "long": "x".repeat(201), "ok": true});
        assert_eq!(options_of(&json!({}), &metadata), ["yes", "no"]);
        assert_eq!(
            short_metadata(&metadata),
            [
                ("risk".to_owned(), "moves money".to_owned()),
                ("level".to_owned(), "3".to_owned()),
                ("ok".to_owned(), "true".to_owned())
            ]
        );
        assert!(short_metadata(&json!(null)).is_empty());
    }

    #[test]
    fn short_times() {
        assert_eq!(short_time("2026-01-31T12:34:56.789Z"), "2026-01-31 12:34");
        assert_eq!(short_time("x"), "x");
    }
}
