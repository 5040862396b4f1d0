//! A [`Card`] as Block Kit: the message's blocks and its fallback text, and the modal that
//! asks for a reason or an answer.

use serde_json::{json, Value};

use crate::channels::chat::card::{ButtonStyle, Card, CardState};
use crate::core::Action;

/// Slack's limit on a header's text.
const MAX_HEADER: usize = 150;
/// Slack's limit on a modal's title.
const MAX_TITLE: usize = 24;

/// `text` with the three characters Slack's mrkdwn needs escaped.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn plain(text: &str, max: usize) -> Value {
    let text: String = text.chars().take(max).collect();
    json!({"type": "plain_text", "text": text, "emoji": true})
}

/// The message for `card` of request `id`: `{"text", "blocks"}`.
pub(super) fn message(card: &Card, id: &str) -> Value {
    let mut blocks = vec![json!({"type": "header", "text": plain(&card.title, MAX_HEADER)})];
    for field in &card.fields {
        let text = if field.code {
            format!("*{}*\n```{}```", field.label, escaped(&field.text))
        } else {
            format!("*{}*\n{}", field.label, escaped(&field.text))
        };
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    }
    blocks.push(json!({"type": "context",
        "elements": [{"type": "mrkdwn", "text": escaped(&card.details_line())}]}));
    let fallback = match &card.state {
        CardState::Open(buttons) => {
            let elements: Vec<Value> = buttons
                .iter()
                .map(|b| {
                    let mut button = json!({"type": "button", "action_id": b.action.as_str(),
                        "value": id, "text": plain(b.label, 75)});
                    match b.style {
                        ButtonStyle::Primary => button["style"] = json!("primary"),
                        ButtonStyle::Danger => button["style"] = json!("danger"),
                        ButtonStyle::Plain => {}
                    }
                    button
                })
                .collect();
            blocks.push(json!({"type": "actions", "block_id": "ghl", "elements": elements}));
            card.title.clone()
        }
        CardState::Closed(line) => {
            blocks.push(json!({"type": "section",
                "text": {"type": "mrkdwn", "text": format!("*{}*", escaped(line))}}));
            format!("{} — {line}", card.title)
        }
    };
    json!({"text": fallback, "blocks": blocks})
}

/// The modal asking for the text of `action` on request `id`.
pub(super) fn modal(action: Action, id: &str, (title, label): (&str, &str)) -> Value {
    let metadata = json!({"request": id, "action": action.as_str()}).to_string();
    json!({
        "type": "modal",
        "callback_id": "ghl",
        "title": plain(title, MAX_TITLE),
        "submit": plain("OK", MAX_TITLE),
        "close": plain("✕", MAX_TITLE),
        "private_metadata": metadata,
        "blocks": [{
            "type": "input",
            "block_id": "text",
            "optional": action == Action::Approve,
            "label": plain(label, 2000),
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": true,
                        "max_length": 3000},
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::chat::card::card;
    use crate::channels::chat::Directory;
    use crate::record::tests_support::record;
    use gohumanloop::providers::email::EmailLanguage;

    #[test]
    fn an_open_message_escapes_mrkdwn_and_carries_the_request_in_its_buttons() {
        let mut r = record("h1");
        r.context = serde_json::json!({"question": "<!channel> & deploy?"});
        let m = message(&card(&r, EmailLanguage::En, &Directory::default()), "h1");
        let blocks = m["blocks"].as_array().unwrap();
        assert_eq!(
            blocks[1]["text"]["text"],
            "*Question*\n&lt;!channel&gt; &amp; deploy?"
        );
        let actions = blocks.last().unwrap();
        assert_eq!(actions["elements"][0]["action_id"], "approve");
        assert_eq!(actions["elements"][1]["style"], "danger");
        assert_eq!(actions["elements"][1]["value"], "h1");
        let modal = modal(Action::Reject, "h1", ("Reject", "Why?"));
        assert_eq!(modal["blocks"][0]["optional"], false);
        let meta: Value =
            serde_json::from_str(modal["private_metadata"].as_str().unwrap()).unwrap();
        assert_eq!(meta, json!({"request": "h1", "action": "reject"}));
    }
}
