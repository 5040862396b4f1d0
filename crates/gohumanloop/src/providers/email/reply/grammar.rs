//! The reply grammar (protocol reference §2.2) with the original's bugs fixed: decisions are
//! whole words (`no` inside `none` or `know` is nothing), a negated approval (`not approved`,
//! `不同意`) rejects, a line naming both decisions (the untouched template) decides nothing, the
//! reason is read on the same line or the next ones, and a reply without a `Decision:` line is
//! read from a first line that is only a decision (`Approved, go ahead.`).

/// English words that approve.
pub const APPROVE_WORDS: [&str; 8] = [
    "approve", "approved", "accept", "accepted", "yes", "ok", "okay", "lgtm",
];
/// English words that reject.
pub const REJECT_WORDS: [&str; 8] = [
    "reject", "rejected", "deny", "denied", "no", "decline", "declined", "nope",
];
/// English words that turn an approval into a rejection.
const NEGATORS: [&str; 12] = [
    "not",
    "don't",
    "dont",
    "never",
    "cannot",
    "can't",
    "cant",
    "won't",
    "wont",
    "shouldn't",
    "mustn't",
    "isn't",
];
/// Chinese words that approve.
pub const APPROVE_WORDS_ZH: [&str; 4] = ["批准", "同意", "通过", "准许"];
/// Chinese words that reject.
pub const REJECT_WORDS_ZH: [&str; 3] = ["拒绝", "否决", "驳回"];
/// Characters that negate a Chinese word right after them (within two characters: `不予批准`).
const NEGATORS_ZH: [char; 6] = ['不', '没', '未', '别', '勿', '非'];

/// The field names of the grammar, in both languages.
const DECISION_NAMES: [&str; 2] = ["decision", "决定"];
const REASON_NAMES: [&str; 3] = ["reason", "理由", "原因"];
const INFORMATION_NAMES: [&str; 3] = ["information", "info", "信息"];

/// What a human decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Approved.
    Approve,
    /// Rejected.
    Reject,
}

/// If `line` is `NAME: value` (any case, ASCII or full-width colon, optional `*` emphasis),
/// the value.
fn field<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    let line = line.trim_start_matches(['*', ' ', '\t', '-', '•']);
    let (name, value) = line.split_once([':', '：'])?;
    let name = name.trim().trim_end_matches('*').trim().to_lowercase();
    names
        .contains(&name.as_str())
        .then(|| value.trim_start_matches('*').trim())
}

/// Where a `Reason:` starts inside a line (for `Decision: reject Reason: too risky`), as a
/// byte offset into `line` itself.
fn reason_inside(line: &str) -> Option<usize> {
    line.char_indices().map(|(at, _)| at).find(|&at| {
        let rest = &line[at..];
        REASON_NAMES.iter().any(|name| {
            rest.get(..name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(name))
                && rest[name.len()..].trim_start().starts_with([':', '：'])
        })
    })
}

fn english_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('’', "'")
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

#[derive(Default)]
struct Votes {
    approve: usize,
    reject: usize,
    unclear: usize,
}

impl Votes {
    fn of(text: &str) -> Self {
        let mut votes = Votes::default();
        let mut negated = false;
        for word in english_words(text) {
            if NEGATORS.contains(&word.as_str()) {
                negated = true;
            } else if APPROVE_WORDS.contains(&word.as_str()) {
                if negated {
                    votes.reject += 1;
                } else {
                    votes.approve += 1;
                }
            } else if REJECT_WORDS.contains(&word.as_str()) {
                if negated {
                    votes.unclear += 1;
                } else {
                    votes.reject += 1;
                }
            }
        }
        let chars: Vec<char> = text.chars().collect();
        let negated_at = |at: usize| {
            chars[at.saturating_sub(2)..at]
                .iter()
                .any(|c| NEGATORS_ZH.contains(c))
        };
        let mut count = |words: &[&str], approve: bool| {
            for word in words {
                let w: Vec<char> = word.chars().collect();
                for at in 0..chars.len() {
                    if chars[at..].starts_with(&w) {
                        match (approve, negated_at(at)) {
                            (true, false) => votes.approve += 1,
                            (true, true) | (false, false) => votes.reject += 1,
                            (false, true) => votes.unclear += 1,
                        }
                    }
                }
            }
        };
        count(&APPROVE_WORDS_ZH, true);
        count(&REJECT_WORDS_ZH, false);
        votes
    }

    fn decision(&self) -> Option<Decision> {
        match (self.approve > 0, self.reject > 0, self.unclear > 0) {
            (true, false, false) => Some(Decision::Approve),
            (false, true, false) => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// Reads a decision from a value such as `approve`, `[Rejected]`, `not approved` or `同意`;
/// `None` when it names none, or both.
pub fn decision(value: &str) -> Option<Decision> {
    Votes::of(value).decision()
}

/// Whether `clause` is nothing but a decision (`Approved`, `Not approved`, `不同意`, `Yes`).
fn is_bare_decision(clause: &str) -> bool {
    let english_only = english_words(clause).iter().all(|w| {
        APPROVE_WORDS.contains(&w.as_str())
            || REJECT_WORDS.contains(&w.as_str())
            || NEGATORS.contains(&w.as_str())
    });
    let mut rest: String = clause.chars().filter(|c| !c.is_ascii()).collect();
    for word in APPROVE_WORDS_ZH.iter().chain(REJECT_WORDS_ZH.iter()) {
        rest = rest.replace(word, "");
    }
    rest.retain(|c| !NEGATORS_ZH.contains(&c) && !c.is_whitespace());
    english_only && rest.is_empty() && decision(clause).is_some()
}

fn unwrap_placeholder(text: &str, placeholder: &str) -> String {
    let text = text.trim();
    if text.eq_ignore_ascii_case(placeholder) || text.is_empty() {
        return String::new();
    }
    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) if !inner.contains(['[', ']']) => inner.trim().to_owned(),
        _ => text.to_owned(),
    }
}

/// `value` and the lines after it, up to the end of the content.
fn with_following(value: &str, following: &[&str]) -> String {
    let mut text = value.trim().to_owned();
    for line in following {
        text.push('\n');
        text.push_str(line);
    }
    text.trim().to_owned()
}

/// The reason given anywhere in `lines` (same line as the decision, or later), or `""`.
fn reason(lines: &[&str]) -> String {
    for (at, line) in lines.iter().enumerate() {
        let value = match field(line, &REASON_NAMES) {
            Some(value) => value,
            None => match reason_inside(line) {
                Some(start) if field(line, &DECISION_NAMES).is_some() => {
                    let rest = &line[start..];
                    field(rest, &REASON_NAMES).unwrap_or_default()
                }
                _ => continue,
            },
        };
        return unwrap_placeholder(&with_following(value, &lines[at + 1..]), "[Your reason]");
    }
    String::new()
}

/// An approval reply's decision and reason; `None` when the content decides nothing.
pub fn approval(content: &str) -> Option<(Decision, String)> {
    let lines: Vec<&str> = content.lines().collect();
    if let Some(value) = lines.iter().find_map(|l| field(l, &DECISION_NAMES)) {
        let value = match reason_inside(value) {
            Some(end) => &value[..end],
            None => value,
        };
        return decision(value).map(|d| (d, reason(&lines)));
    }
    // No `Decision:` line: a first line that is only a decision (`Approved, go ahead.`).
    let first_at = lines.iter().position(|l| !l.trim().is_empty())?;
    let first = lines[first_at].trim();
    // Only up to the first punctuation: `No idea, ask Bob` is not a rejection.
    let cut = first
        .find([',', '.', ';', '!', '，', '。', '；', '！', '、'])
        .unwrap_or(first.len());
    let (clause, rest) = first.split_at(cut);
    if !is_bare_decision(clause) {
        return None;
    }
    let decided = decision(clause)?;
    let explicit = reason(&lines);
    if !explicit.is_empty() {
        return Some((decided, explicit));
    }
    let rest = rest.trim_start_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | '.' | ';' | '!' | '，' | '。' | '；' | '！' | '、' | '-' | ':' | '：'
            )
    });
    Some((decided, with_following(rest, &lines[first_at + 1..])))
}

/// An information reply's answer; `None` when the human left the template untouched.
pub fn information(content: &str) -> Option<String> {
    let lines: Vec<&str> = content.lines().collect();
    let text = match lines
        .iter()
        .position(|l| field(l, &INFORMATION_NAMES).is_some())
    {
        Some(at) => with_following(
            field(lines[at], &INFORMATION_NAMES).unwrap_or_default(),
            &lines[at + 1..],
        ),
        None => content.trim().to_owned(),
    };
    let text = unwrap_placeholder(&text, "[Your information]");
    (!text.is_empty()).then_some(text)
}

/// A conversation reply: what the human said and whether it ends the conversation; `None`
/// when they said nothing.
pub fn conversation(content: &str) -> Option<(String, bool)> {
    let placeholders = [
        "[please enter your reply here]",
        "[请在此处输入您的回复内容]",
    ];
    let text: Vec<&str> = content
        .lines()
        .filter(|l| !placeholders.contains(&l.trim().to_lowercase().as_str()))
        .collect();
    let text = text.join("\n").trim().to_owned();
    let lower = text.to_lowercase();
    let ended = lower.contains("[end conversation]") || text.contains("[结束对话]");
    (!text.is_empty()).then_some((text, ended))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Approve, Reject};

    #[test]
    fn whole_words_and_negations() {
        for (value, expected) in [
            ("approve", Some(Approve)),
            ("[Approved]", Some(Approve)),
            ("yes", Some(Approve)),
            ("no", Some(Reject)),
            ("not approved", Some(Reject)),
            ("I don't approve", Some(Reject)),
            ("Deny", Some(Reject)),
            ("None", None),
            ("I don't know", None),
            ("maybe", None),
            (
                "[approve/approved/accept/yes|reject/rejected/deny/no]",
                None,
            ),
            ("同意", Some(Approve)),
            ("不同意", Some(Reject)),
            ("不予批准", Some(Reject)),
            ("拒绝", Some(Reject)),
            ("[批准/同意/approve|拒绝/否决/reject]", None),
            ("not rejected", None),
        ] {
            assert_eq!(decision(value), expected, "{value}");
        }
    }

    #[test]
    fn reason_on_the_same_line_or_below() {
        assert_eq!(
            approval("Decision: reject Reason: too risky"),
            Some((Reject, "too risky".into()))
        );
        assert_eq!(
            approval("Decision: reject\nReason: too risky\non a Friday"),
            Some((Reject, "too risky\non a Friday".into()))
        );
        assert_eq!(
            approval("决定：同意\n理由：已检查"),
            Some((Approve, "已检查".into()))
        );
        assert_eq!(
            approval("Decision: approve\nReason: [Your reason]"),
            Some((Approve, String::new()))
        );
        assert_eq!(approval("Decision: none\nReason: x"), None);
        // Lower-casing changes byte lengths (İ): offsets must come from the line itself.
        assert_eq!(
            approval("Decision: İİ reject REASON: x"),
            Some((Reject, "x".into()))
        );
    }

    #[test]
    fn a_first_line_that_is_only_a_decision() {
        assert_eq!(
            approval("Approved, go ahead."),
            Some((Approve, "go ahead.".into()))
        );
        assert_eq!(approval("同意"), Some((Approve, String::new())));
        assert_eq!(
            approval("Not approved. Wait for Monday."),
            Some((Reject, "Wait for Monday.".into()))
        );
        assert_eq!(approval("Yes I think we should not deploy"), None);
        assert_eq!(approval("thanks"), None);
        assert_eq!(approval("No idea, ask Bob"), None);
        assert_eq!(
            approval("No. Too risky"),
            Some((Reject, "Too risky".into()))
        );
    }

    #[test]
    fn information_and_conversation() {
        assert_eq!(
            information("Information: 42\nand more").as_deref(),
            Some("42\nand more")
        );
        assert_eq!(
            information("信息：数据库在 db.internal").as_deref(),
            Some("数据库在 db.internal")
        );
        assert_eq!(information("Information: [Your information]"), None);
        assert_eq!(
            information("just the text").as_deref(),
            Some("just the text")
        );
        assert_eq!(
            conversation("Hello\n[Please enter your reply here]"),
            Some(("Hello".into(), false))
        );
        assert_eq!(
            conversation("bye [END CONVERSATION]"),
            Some(("bye [END CONVERSATION]".into(), true))
        );
        assert_eq!(conversation("好的[结束对话]").map(|c| c.1), Some(true));
        assert_eq!(conversation("[请在此处输入您的回复内容]"), None);
    }
}
