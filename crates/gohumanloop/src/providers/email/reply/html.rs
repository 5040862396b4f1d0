//! HTML bodies as text, for HTML-only replies: block elements become line breaks, and the
//! content of `<blockquote>` (how Gmail, Apple Mail, QQ Mail and others quote) becomes `>`
//! lines, so that the quote stripping treats it as it treats a text reply's quote.

/// Elements whose start or end breaks a line.
const BLOCKS: [&str; 22] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "hr",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "center",
];
/// Elements whose content is never shown.
const HIDDEN: [&str; 4] = ["head", "style", "script", "title"];

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Decodes the character references of a text run.
fn decode(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.find(';').filter(|&end| end <= 10) {
            Some(end) if entity(&after[..end]).is_some() => {
                out.extend(entity(&after[..end]));
                rest = &after[end + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// The text of an HTML body, with quoted parts as `>` lines.
pub fn html_to_text(html: &str) -> String {
    let mut lines: Vec<(usize, String)> = vec![(0, String::new())];
    let mut depth = 0usize;
    let mut hidden = 0usize;
    let mut rest = html;
    // A block's edge starts a new line unless one was just started; `<br>` always does.
    let newline = |lines: &mut Vec<(usize, String)>, depth: usize, hard: bool| {
        if hard || lines.last().is_none_or(|(_, l)| !l.trim().is_empty()) {
            lines.push((depth, String::new()));
        }
    };
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            if hidden == 0 {
                let mut text = String::new();
                decode(rest, &mut text);
                push_text(&mut lines, depth, &text);
            }
            break;
        };
        if hidden == 0 && open > 0 {
            let mut text = String::new();
            decode(&rest[..open], &mut text);
            push_text(&mut lines, depth, &text);
        }
        let tag_and_after = &rest[open..];
        let end = if tag_and_after.starts_with("<!--") {
            tag_and_after.find("-->").map(|e| e + 3)
        } else {
            tag_and_after.find('>').map(|e| e + 1)
        };
        let Some(end) = end else {
            break;
        };
        let tag = &tag_and_after[..end];
        rest = &tag_and_after[end..];
        if tag.starts_with("<!") {
            continue;
        }
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if HIDDEN.contains(&name.as_str()) {
            if closing {
                hidden = hidden.saturating_sub(1);
            } else if !tag.ends_with("/>") {
                hidden += 1;
            }
            continue;
        }
        if name == "blockquote" {
            depth = if closing {
                depth.saturating_sub(1)
            } else {
                depth + 1
            };
        }
        if BLOCKS.contains(&name.as_str()) {
            newline(&mut lines, depth, name == "br");
        }
    }
    let mut out = String::new();
    let mut blank_run = false;
    for (depth, line) in lines {
        let line = line.trim_end();
        if line.trim().is_empty() {
            // Runs of breaks keep at most one blank line, and none at the ends.
            blank_run = true;
            continue;
        }
        if blank_run && !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&"> ".repeat(depth));
        out.push_str(line.trim_start());
        out.push('\n');
        blank_run = false;
    }
    out
}

fn push_text(lines: &mut Vec<(usize, String)>, depth: usize, text: &str) {
    // Source line breaks inside a run are spaces in HTML.
    let text = text.replace(['\r', '\n', '\t'], " ");
    if text.trim().is_empty() && lines.last().is_some_and(|(_, l)| l.is_empty()) {
        return;
    }
    match lines.last_mut() {
        Some((d, line)) if *d == depth || line.is_empty() => {
            *d = depth;
            line.push_str(&text);
        }
        _ => lines.push((depth, text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_break_lines_and_quotes_become_marked() {
        let html = "<html><head><style>p{}</style></head><body><div>Decision: approve</div>\
                    <div>Reason: fine &amp; tested&nbsp;&#x2713;</div><div><br></div>\
                    <div class=\"gmail_quote\">On Wed, Agent wrote:<br><blockquote>Decision: \
                    [approve|reject]<br>Reason: [Your reason]</blockquote></div></body></html>";
        assert_eq!(
            html_to_text(html),
            "Decision: approve\nReason: fine & tested\u{a0}✓\n\nOn Wed, Agent wrote:\n\
             > Decision: [approve|reject]\n> Reason: [Your reason]\n"
        );
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for html in [
            "<",
            "<div",
            "a &",
            "&#xFFFFFFFF;",
            "<!-- x",
            "</blockquote></blockquote>x",
        ] {
            let _ = html_to_text(html);
        }
        assert_eq!(html_to_text("a &bogus; b"), "a &bogus; b\n");
    }
}
