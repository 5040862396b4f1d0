//! JSON shown to a human: pretty-printed, every token wrapped in a class for colour, every
//! string HTML-escaped (a request's content is never markup).

use std::fmt::Write;

use askama::filters::{Escaper, Html};
use serde_json::Value;

/// `value` as indented, syntax-highlighted, escaped HTML (to put inside a `<pre>`).
pub fn highlight(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str(r#"<span class="j-null">null</span>"#),
        Value::Bool(b) => {
            let _ = write!(out, r#"<span class="j-bool">{b}</span>"#);
        }
        Value::Number(n) => {
            let _ = write!(out, r#"<span class="j-num">{n}</span>"#);
        }
        Value::String(s) => write_string(out, s, "j-str"),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, depth + 1);
                write_value(out, item, depth + 1);
            }
            close(out, depth, ']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                separator(out, i, depth + 1);
                write_string(out, key, "j-key");
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            close(out, depth, '}');
        }
    }
}

fn write_string(out: &mut String, text: &str, class: &str) {
    // serde_json's quoting, then HTML escaping of the quoted text.
    let quoted = Value::String(text.to_owned()).to_string();
    let _ = write!(out, r#"<span class="{class}">"#);
    let _ = Html.write_escaped_str(&mut *out, &quoted);
    out.push_str("</span>");
}

fn separator(out: &mut String, index: usize, depth: usize) {
    if index > 0 {
        out.push(',');
    }
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
}

fn close(out: &mut String, depth: usize, bracket: char) {
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
    out.push(bracket);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markup_in_values_and_keys_is_escaped() {
        let html = highlight(&json!({"<b>": "<script>alert(1)</script>", "n": [1, true, null]}));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(html.contains(r#"<span class="j-num">1</span>"#));
        assert!(html.contains(r#"<span class="j-bool">true</span>"#));
        assert!(html.contains(r#"<span class="j-null">null</span>"#));
    }

    #[test]
    fn the_text_without_tags_is_the_pretty_json() {
        let value = json!({"a": {"b": [1, "x\"y"]}, "c": {}});
        let html = highlight(&value);
        let text = html
            .split('<')
            .map(|part| part.split_once('>').map_or(part, |(_, rest)| rest))
            .collect::<String>()
            .replace("&quot;", "\"")
            .replace("&#34;", "\"");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
