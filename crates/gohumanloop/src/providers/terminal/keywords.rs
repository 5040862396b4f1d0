//! The terminal's keywords (the original's, English and Chinese), as pure functions.

/// Words that approve (trimmed, case-insensitive).
pub const APPROVE_WORDS: [&str; 5] = ["approve", "yes", "y", "同意", "批准"];
/// Words that reject (trimmed, case-insensitive); a reason is asked next.
pub const REJECT_WORDS: [&str; 5] = ["reject", "no", "n", "拒绝", "不同意"];
/// Words that end a conversation (trimmed, case-insensitive).
pub const END_WORDS: [&str; 4] = ["exit", "quit", "结束", "退出"];

/// What a line typed at the approval prompt means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// One of [`APPROVE_WORDS`].
    Approve,
    /// One of [`REJECT_WORDS`].
    Reject,
    /// Anything else: ask again.
    Invalid,
}

fn is_one_of(line: &str, words: &[&str]) -> bool {
    let word = line.trim().to_lowercase();
    words.contains(&word.as_str())
}

/// Reads a line typed at the approval prompt.
pub fn decision(line: &str) -> Decision {
    if is_one_of(line, &APPROVE_WORDS) {
        Decision::Approve
    } else if is_one_of(line, &REJECT_WORDS) {
        Decision::Reject
    } else {
        Decision::Invalid
    }
}

/// Whether a line typed in a conversation ends it.
pub fn ends_conversation(line: &str) -> bool {
    is_one_of(line, &END_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_in_both_languages() {
        for w in ["approve", " YES ", "y", "同意", "批准", "Approve"] {
            assert_eq!(decision(w), Decision::Approve, "{w}");
        }
        for w in ["reject", "No", "n", "拒绝", "不同意"] {
            assert_eq!(decision(w), Decision::Reject, "{w}");
        }
        for w in ["", "maybe", "not approve", "yes please", "none"] {
            assert_eq!(decision(w), Decision::Invalid, "{w}");
        }
    }

    #[test]
    fn conversation_end_words() {
        for w in ["exit", "QUIT", " 结束 ", "退出"] {
            assert!(ends_conversation(w), "{w}");
        }
        for w in ["exit now", "hello", ""] {
            assert!(!ends_conversation(w), "{w}");
        }
    }
}
