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
    fn short_times() {
        assert_eq!(short_time("2026-01-31T12:34:56.789Z"), "2026-01-31 12:34");
        assert_eq!(short_time("x"), "x");
    }
}
