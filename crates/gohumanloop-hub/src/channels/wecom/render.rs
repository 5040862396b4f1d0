//! A [`Card`] as a WeCom `template_card` of type `button_interaction`: title, the question,
//! up to six labelled lines, a reason picker (a card cannot take typed text) and the approve
//! and reject buttons, whose keys carry the action and the request.

use serde_json::{json, Value};

use crate::channels::chat::card::{ButtonStyle, Card, CardState};
use crate::core::Action;

/// WeCom's limits (characters) on the parts of a card.
const TITLE: usize = 26;
const SUB_TITLE: usize = 112;
const KEY_NAME: usize = 5;
const VALUE: usize = 26;
/// The most characters a passive reply's or an update's button label shows.
pub(super) const REPLACE_NAME: usize = 20;

/// `text` cut at `max` characters.
pub(super) fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(max.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// The key of a button: `ACTION:REQUEST`.
pub(super) fn button_key(action: Action, id: &str) -> String {
    format!("{}:{id}", action.as_str())
}

/// The `task_id` of the card of request `id` for `recipient`: unique per app, of
/// `[0-9A-Za-z_-@]`, at most 128 bytes.
pub(super) fn task_id(id: &str, recipient: &str) -> String {
    let clean = |s: &str, n: usize| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@'))
            .take(n)
            .collect()
    };
    format!("ghl_{}_{}", clean(id, 64), clean(recipient, 48))
}

/// The `template_card` of `card` for request `id`, with `reasons` to pick from.
pub(super) fn template_card(
    card: &Card,
    id: &str,
    task_id: &str,
    reasons: &[String],
    reason_title: &str,
) -> Value {
    let mut fields = card.fields.iter();
    let first = fields.next();
    // WeCom shows at most 6 lines: the votes, when there are any, take the first.
    let votes = card
        .votes
        .iter()
        .map(|(label, votes)| (*label, votes.as_str()));
    let lines: Vec<Value> = votes
        .chain(fields.map(|f| (f.label, f.text.as_str())))
        .take(6)
        .map(|(label, text)| json!({"keyname": cut(label, KEY_NAME), "value": cut(text, VALUE)}))
        .collect();
    let mut template = json!({
        "card_type": "button_interaction",
        "source": {"desc": "GoHumanLoop"},
        "main_title": {"title": cut(&card.title, TITLE), "desc": cut(&card.details, 30)},
        "sub_title_text": first.map(|f| cut(&f.text, SUB_TITLE)).unwrap_or_default(),
        "horizontal_content_list": lines,
        "task_id": task_id,
    });
    match &card.state {
        CardState::Open(buttons) => {
            let options: Vec<Value> = reasons
                .iter()
                .enumerate()
                .map(|(n, r)| json!({"id": format!("r{n}"), "text": cut(r, 16)}))
                .collect();
            if !options.is_empty() {
                template["button_selection"] = json!({"question_key": "reason",
                    "title": cut(reason_title, 8), "option_list": options, "selected_id": "r0"});
            }
            let buttons: Vec<Value> = buttons
                .iter()
                .filter(|b| matches!(b.action, Action::Approve | Action::Reject))
                .map(|b| {
                    let style = match b.style {
                        ButtonStyle::Primary => 1,
                        ButtonStyle::Danger => 2,
                        ButtonStyle::Plain => 4,
                    };
                    json!({"text": cut(b.label, 10), "style": style, "key": button_key(b.action, id)})
                })
                .collect();
            template["button_list"] = json!(buttons);
        }
        CardState::Closed(line) => {
            template["button_list"] =
                json!([{"text": cut(line, REPLACE_NAME), "style": 4, "key": format!("done:{id}")}]);
        }
    }
    template
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_keep_to_wecom_s_characters_and_length() {
        let id = task_id("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "zhang.san@corp/x");
        assert!(id.len() <= 128);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@')),
            "{id}"
        );
        assert_eq!(cut("一二三四五", 3), "一二…");
    }
}
