//! Finding what the human wrote in a reply: the quoted mail (every common client's quote
//! header, `>` lines), signatures and mobile footers are dropped, and when the reply keeps the
//! template's markers only the text between them counts.
//!
//! Unlike the original, the quote is removed *before* the markers are looked for: a top-posted
//! reply quotes the untouched template (markers included) below the human's words, and reading
//! that template would answer for the human.

/// Text every start marker contains (either language, any case).
const START_MARKS: [&str; 2] = ["content start marker", "内容开始标记"];
/// Text every end marker contains.
const END_MARKS: [&str; 2] = ["content end marker", "内容结束标记"];

fn normalise(line: &str) -> String {
    line.replace(['\u{a0}', '\u{3000}'], " ").trim().to_owned()
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn has_any(line: &str, needles: &[&str]) -> bool {
    let lower = line.to_lowercase();
    needles.iter().any(|n| lower.contains(n))
}

/// `-----Original Message-----`, `------------------ 原始邮件 ------------------`,
/// `---- Replied Message ----`, `-----邮件原件-----` and the like.
fn is_separator_banner(line: &str) -> bool {
    let trimmed = line.trim_matches(|c: char| c == '-' || c.is_whitespace());
    if trimmed.len() == line.len() || line.matches('-').count() < 4 {
        return false;
    }
    let lower = trimmed.to_lowercase();
    [
        "original message",
        "replied message",
        "forwarded message",
        "原始邮件",
        "邮件原件",
        "回复的邮件",
        "转发的邮件",
        "原始郵件",
    ]
    .iter()
    .any(|n| lower == *n)
}

/// A field of a quoted header block (`From:`, `发件人：`, …): its name, lower-cased.
fn header_field(line: &str) -> Option<String> {
    let line = line.trim_start_matches(['*', ' ']);
    let (name, _) = line.split_once([':', '：'])?;
    let name = name.trim().trim_end_matches('*').trim().to_lowercase();
    const FIELDS: [&str; 16] = [
        "from",
        "sent",
        "date",
        "to",
        "cc",
        "subject",
        "发件人",
        "发送时间",
        "时间",
        "日期",
        "收件人",
        "抄送",
        "主题",
        "寄件者",
        "寄件日期",
        "主旨",
    ];
    FIELDS.contains(&name.as_str()).then_some(name)
}

/// An Outlook-style block: a `From:` line followed closely by `Sent:`/`Date:`/`To:` lines.
fn is_header_block(lines: &[String], at: usize) -> bool {
    let Some(first) = header_field(&lines[at]) else {
        return false;
    };
    if !matches!(first.as_str(), "from" | "发件人" | "寄件者") {
        return false;
    }
    lines[at + 1..]
        .iter()
        .take(4)
        .filter_map(|l| header_field(l))
        .any(|f| f != "from" && f != "发件人" && f != "寄件者")
}

/// `On … wrote:` (one line, or two when the client wrapped it), `在 … 写道：`, `Am … schrieb:`,
/// `Le … a écrit :`; returns how many lines the header spans.
fn attribution(lines: &[String], at: usize) -> Option<usize> {
    let ends = |l: &str| {
        let l = l.trim_end();
        l.ends_with("wrote:")
            || l.ends_with("写道：")
            || l.ends_with("写道:")
            || l.ends_with("寫道：")
            || l.ends_with("schrieb:")
            || l.ends_with("a écrit :")
            || l.ends_with("a écrit:")
    };
    let line = lines[at].trim_start();
    // `X 于2026年11月25日周三 上午10:02写道：` (Chinese Gmail) names the sender first.
    if ends(line) && line.chars().any(|c| c.is_ascii_digit()) {
        return Some(1);
    }
    let starts = line.starts_with("On ")
        || line.starts_with('在')
        || line.starts_with("Am ")
        || line.starts_with("Le ")
        || line.starts_with("于 ");
    if !starts {
        return None;
    }
    if ends(line) {
        return Some(1);
    }
    let next = lines.get(at + 1)?;
    (ends(next) && line.chars().any(|c| c.is_ascii_digit())).then_some(2)
}

/// Where the quoted mail starts, and how many lines its header takes.
fn quote_start(lines: &[String]) -> Option<(usize, usize)> {
    (0..lines.len()).find_map(|at| {
        let line = &lines[at];
        if let Some(span) = attribution(lines, at) {
            return Some((at, span));
        }
        if is_separator_banner(line) {
            return Some((at, 1));
        }
        if line.len() >= 10 && line.chars().all(|c| c == '_') {
            return Some((at, 1));
        }
        if is_header_block(lines, at) {
            let span = lines[at..]
                .iter()
                .take_while(|l| header_field(l).is_some())
                .count();
            return Some((at, span.max(1)));
        }
        None
    })
}

fn is_signature_start(line: &str) -> bool {
    line.trim_end() == "--"
}

fn is_mobile_footer(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.starts_with("sent from my ")
        || lower.starts_with("get outlook for ")
        || line.starts_with("发自我的")
        || line.starts_with("从我的")
}

fn own_lines(lines: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    for line in lines {
        if is_signature_start(line) {
            break;
        }
        if !is_quoted(line) && !is_mobile_footer(line) {
            kept.push(line.clone());
        }
    }
    kept
}

fn between_markers(lines: Vec<String>) -> Vec<String> {
    let Some(start) = lines.iter().position(|l| has_any(l, &START_MARKS)) else {
        return lines;
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| !has_any(l, &END_MARKS))
        .cloned()
        .collect()
}

fn is_marker(line: &str) -> bool {
    has_any(line, &START_MARKS) || has_any(line, &END_MARKS)
}

/// What the human wrote, as trimmed lines joined by `\n`; `None` when nothing is left.
pub fn user_content(text: &str) -> Option<String> {
    let lines: Vec<String> = text.lines().map(normalise).collect();
    let own = match quote_start(&lines) {
        Some((at, span)) => {
            let above = own_lines(&lines[..at]);
            if above.iter().any(|l| !l.is_empty() && !is_marker(l)) {
                above
            } else {
                // Bottom-posted or inline: the human's lines are the unquoted ones below.
                let below = &lines[at + span..];
                match quote_start(below) {
                    Some((next, _)) => own_lines(&below[..next]),
                    None => own_lines(below),
                }
            }
        }
        None => own_lines(&lines),
    };
    let chosen = between_markers(own);
    let mut out: Vec<&str> = Vec::new();
    for line in &chosen {
        // Runs of blank lines become one.
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    let joined = out.join("\n").trim().to_owned();
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_posted_reply_above_a_gmail_quote() {
        let text = "Decision: approve\nReason: fine\n\nOn Wed, Nov 25, 2026 at 10:02 AM Agent <\n\
                    agent@ghl.test> wrote:\n> Decision: [approve|reject]\n";
        assert_eq!(
            user_content(text).as_deref(),
            Some("Decision: approve\nReason: fine")
        );
    }

    #[test]
    fn outlook_block_without_quote_marks() {
        let text = "Rejected, too risky.\n\n________________________________\nFrom: Agent \
                    <agent@ghl.test>\nSent: Wednesday\nTo: me\nSubject: x\n\nDecision: [a|b]";
        assert_eq!(user_content(text).as_deref(), Some("Rejected, too risky."));
        let text = "同意\n\n发件人: Agent <agent@ghl.test>\n发送时间: 2026年11月25日\n收件人: 我\n\
                    主题: x\n决定：[批准|拒绝]";
        assert_eq!(user_content(text).as_deref(), Some("同意"));
    }

    #[test]
    fn chinese_banners_and_attributions() {
        let qq = "决定：批准\n\n------------------\u{a0}原始邮件\u{a0}------------------\n\
                  发件人: \"Agent\"<agent@ghl.test>;\n决定：[批准/同意/approve|拒绝/否决/reject]";
        assert_eq!(user_content(qq).as_deref(), Some("决定：批准"));
        let gmail_zh =
            "信息：42\n\n在 2026年11月25日周三 10:02，Agent <agent@ghl.test> 写道：\n> 信息：";
        assert_eq!(user_content(gmail_zh).as_deref(), Some("信息：42"));
    }

    #[test]
    fn bottom_posted_reply_below_the_quote() {
        let text = "On Wed, 25 Nov 2026, Agent wrote:\n> Decision: [approve|reject]\n\
                    Decision: approve\n> Reason: [Your reason]\nReason: ok";
        assert_eq!(
            user_content(text).as_deref(),
            Some("Decision: approve\nReason: ok")
        );
    }

    #[test]
    fn markers_keep_only_the_filled_template() {
        let text = "Hi,\n===== PLEASE KEEP THIS LINE AS CONTENT START MARKER =====\nInformation: \
                    42\n===== PLEASE KEEP THIS LINE AS CONTENT END MARKER =====\nBob";
        assert_eq!(user_content(text).as_deref(), Some("Information: 42"));
    }

    #[test]
    fn signatures_and_mobile_footers_are_dropped() {
        let text = "Decision: yes\n\n-- \nBob\nNo calls after 6pm\n";
        assert_eq!(user_content(text).as_deref(), Some("Decision: yes"));
        assert_eq!(
            user_content("approve\n\nSent from my iPhone").as_deref(),
            Some("approve")
        );
        assert_eq!(user_content("> only quoted\n\n"), None);
    }
}
