//! Stored values shown to a human, within a budget: JSON pretty-printed (every token wrapped in
//! a class for colour, or plain for mail), text as it is, every string HTML-escaped (a
//! request's content is never markup).
//!
//! Every page that shows stored values — the request page with its thread, answers and audit
//! trail, the task pages, the pages of mailed links and the mail itself — spends one
//! [`Budget`] per page. A value gets at most [`VALUE_BYTES`] of HTML, a page at most
//! [`PAGE_BYTES`] for all its values and list rows, and JSON is shown [`MAX_DEPTH`] levels
//! deep. What does not fit is folded, and the fold says how much was left out ("… 1,234 more
//! items"). Nesting and indentation no longer multiply the size: a page is the budget plus its
//! frame, whatever it shows.

use std::fmt::Write;
use std::io;

use serde_json::Value;

/// The most HTML one page spends on stored values and list rows.
pub(crate) const PAGE_BYTES: usize = 1 << 20;

/// The most HTML one value may take (so that one big value leaves room for the others).
pub(crate) const VALUE_BYTES: usize = 256 << 10;

/// How deep JSON is shown; deeper containers are folded.
pub(crate) const MAX_DEPTH: usize = 16;

/// The language of the fold notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Words {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

/// What a fold left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Array elements.
    Items,
    /// Object members.
    Keys,
    /// Characters of a string.
    Characters,
    /// Turns of a conversation.
    Turns,
    /// Requests of a list.
    Requests,
    /// Conversations of a task.
    Conversations,
    /// Tasks of the task list.
    Tasks,
}

impl Words {
    /// "… 1,234 more items".
    pub(crate) fn more(self, n: usize, unit: Unit) -> String {
        let n = grouped(n);
        match self {
            Words::En => {
                let what = match unit {
                    Unit::Items => ["item", "items"],
                    Unit::Keys => ["key", "keys"],
                    Unit::Characters => ["character", "characters"],
                    Unit::Turns => ["turn", "turns"],
                    Unit::Requests => ["request", "requests"],
                    Unit::Conversations => ["conversation", "conversations"],
                    Unit::Tasks => ["task", "tasks"],
                }[usize::from(n != "1")];
                format!("… {n} more {what}")
            }
            Words::Zh => {
                let what = match unit {
                    Unit::Items => "项",
                    Unit::Keys => "个键",
                    Unit::Characters => "个字符",
                    Unit::Turns => "轮对话",
                    Unit::Requests => "个请求",
                    Unit::Conversations => "个对话",
                    Unit::Tasks => "个任务",
                };
                format!("… 另有 {n} {what}")
            }
        }
    }
}

/// `1234567` → `1,234,567`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// How JSON is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup {
    /// Every token in a `<span class="j-…">` (pages; `app.css` colours them).
    Highlight,
    /// Escaped text only (mail: clients drop style sheets).
    Plain,
}

/// How much HTML a page may still spend on stored values; see the module documentation.
#[derive(Debug)]
pub(crate) struct Budget {
    left: usize,
    per_value: usize,
    words: Words,
    folded: bool,
}

impl Budget {
    /// The budget of one page.
    pub(crate) fn page(words: Words) -> Self {
        Self::new(PAGE_BYTES, VALUE_BYTES, words)
    }

    /// A budget of `total` bytes of HTML, at most `per_value` for one value.
    pub(crate) fn new(total: usize, per_value: usize, words: Words) -> Self {
        Self {
            left: total,
            per_value,
            words,
            folded: false,
        }
    }

    /// Whether anything was folded so far.
    pub(crate) fn folded(&self) -> bool {
        self.folded
    }

    /// The language of the fold notices.
    pub(crate) fn words(&self) -> Words {
        self.words
    }

    fn writer(&self, markup: Markup) -> Writer {
        Writer {
            out: String::new(),
            limit: self.left.min(self.per_value),
            markup,
            words: self.words,
            folded: false,
            cut: 0,
        }
    }

    fn spend(&mut self, writer: Writer) -> String {
        self.left = self.left.saturating_sub(writer.out.len());
        self.folded |= writer.folded;
        writer.out
    }

    /// `value` as indented, escaped HTML (to put inside a `<pre>`), folded past the budget.
    pub(crate) fn json(&mut self, value: &Value, markup: Markup) -> String {
        let mut writer = self.writer(markup);
        writer.value(value, 0);
        self.spend(writer)
    }

    /// `text` escaped (line breaks kept), cut where the budget ends.
    pub(crate) fn text(&mut self, text: &str) -> String {
        let mut writer = self.writer(Markup::Plain);
        writer.text(text, false);
        if writer.folded {
            writer.notice(text_rest(text, writer.cut), Unit::Characters);
        }
        self.spend(writer)
    }

    /// Charges a list row of `bytes` of HTML; `false` (and nothing charged) when it does not
    /// fit, and the list should end with a fold notice.
    pub(crate) fn row(&mut self, bytes: usize) -> bool {
        if bytes > self.left {
            self.folded = true;
            return false;
        }
        self.left -= bytes;
        true
    }
}

/// The characters of `text` from byte `cut` on.
fn text_rest(text: &str, cut: usize) -> usize {
    text.get(cut..).map_or(0, |rest| rest.chars().count())
}

/// The size of `text` once HTML-escaped (for [`Budget::row`]).
pub(crate) fn html_len(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '<' | '>' | '&' | '"' | '\'' => 5,
            c => c.len_utf8(),
        })
        .sum()
}

/// One value being written, within `limit` bytes (plus the closing of what is open).
struct Writer {
    out: String,
    limit: usize,
    markup: Markup,
    words: Words,
    folded: bool,
    /// Where the last cut string was cut (a byte offset).
    cut: usize,
}

impl Writer {
    fn full(&self) -> bool {
        self.out.len() >= self.limit
    }

    fn value(&mut self, value: &Value, depth: usize) {
        match value {
            Value::Null => self.token("j-null", "null"),
            Value::Bool(b) => self.token("j-bool", if *b { "true" } else { "false" }),
            Value::Number(n) => self.token("j-num", &n.to_string()),
            Value::String(s) => self.string(s, "j-str"),
            Value::Array(items) if items.is_empty() => self.out.push_str("[]"),
            Value::Object(map) if map.is_empty() => self.out.push_str("{}"),
            Value::Array(items) => {
                self.out.push('[');
                if depth >= MAX_DEPTH {
                    self.fold_inside(items.len(), Unit::Items, depth);
                } else {
                    for (i, item) in items.iter().enumerate() {
                        if self.full() {
                            self.fold_inside(items.len() - i, Unit::Items, depth);
                            break;
                        }
                        self.separator(i, depth + 1);
                        self.value(item, depth + 1);
                    }
                }
                self.close(depth, ']');
            }
            Value::Object(map) => {
                self.out.push('{');
                if depth >= MAX_DEPTH {
                    self.fold_inside(map.len(), Unit::Keys, depth);
                } else {
                    for (i, (key, item)) in map.iter().enumerate() {
                        if self.full() {
                            self.fold_inside(map.len() - i, Unit::Keys, depth);
                            break;
                        }
                        self.separator(i, depth + 1);
                        self.string(key, "j-key");
                        self.out.push_str(": ");
                        self.value(item, depth + 1);
                    }
                }
                self.close(depth, '}');
            }
        }
    }

    fn token(&mut self, class: &str, text: &str) {
        match self.markup {
            Markup::Highlight => {
                let _ = write!(self.out, r#"<span class="{class}">{text}</span>"#);
            }
            Markup::Plain => self.out.push_str(text),
        }
    }

    /// A JSON string: serde_json's quoting, then HTML escaping, cut where the budget ends.
    fn string(&mut self, text: &str, class: &str) {
        if self.markup == Markup::Highlight {
            let _ = write!(self.out, r#"<span class="{class}">"#);
        }
        self.out.push_str("&#34;");
        self.text(text, true);
        self.out.push_str("&#34;");
        if self.markup == Markup::Highlight {
            self.out.push_str("</span>");
        }
        if self.cut < text.len() {
            self.out.push(' ');
            self.notice(text_rest(text, self.cut), Unit::Characters);
        }
    }

    /// Escaped characters of `text` until the limit; `cut` tells where it stopped.
    fn text(&mut self, text: &str, quoted: bool) {
        self.cut = text.len();
        for (at, c) in text.char_indices() {
            if self.full() {
                self.cut = at;
                self.out.push('…');
                self.folded = true;
                return;
            }
            if quoted {
                push_json_char(&mut self.out, c);
            } else {
                push_html_char(&mut self.out, c);
            }
        }
    }

    /// Inside an open container: a line that says how many members are not shown.
    fn fold_inside(&mut self, n: usize, unit: Unit, depth: usize) {
        self.out.push('\n');
        self.out.push_str(&"  ".repeat(depth + 1));
        self.notice(n, unit);
    }

    fn notice(&mut self, n: usize, unit: Unit) {
        self.folded = true;
        let text = self.words.more(n, unit);
        match self.markup {
            Markup::Highlight => {
                let _ = write!(self.out, r#"<span class="j-fold">{text}</span>"#);
            }
            Markup::Plain => self.out.push_str(&text),
        }
    }

    fn separator(&mut self, index: usize, depth: usize) {
        if index > 0 {
            self.out.push(',');
        }
        self.out.push('\n');
        self.out.push_str(&"  ".repeat(depth));
    }

    fn close(&mut self, depth: usize, bracket: char) {
        self.out.push('\n');
        self.out.push_str(&"  ".repeat(depth));
        self.out.push(bracket);
    }
}

/// One character as HTML (askama's escapes).
fn push_html_char(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("&#60;"),
        '>' => out.push_str("&#62;"),
        '&' => out.push_str("&#38;"),
        '"' => out.push_str("&#34;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// One character of a JSON string as serde_json quotes it, then as HTML.
fn push_json_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\&#34;"),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c < ' ' => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
        c => push_html_char(out, c),
    }
}

/// `value` pretty-printed, when that takes at most `max` bytes (never holding more than `max`
/// bytes on the way, however big the value).
pub(crate) fn pretty_within(value: &Value, max: usize) -> Option<String> {
    let mut capped = Capped {
        bytes: Vec::new(),
        max,
    };
    serde_json::to_writer_pretty(&mut capped, value).ok()?;
    String::from_utf8(capped.bytes).ok()
}

/// A writer that fails past `max` bytes.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            return Err(io::Error::other("too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
