//! A [`Card`] as a Feishu card (JSON 2.0, `update_multi` so that it can be patched for
//! everyone later): markdown for the request, and for an open card a form with one input (the
//! reason, the answer, the reply) and the buttons, each a callback carrying the request and
//! the action.

use serde_json::{json, Value};

use crate::channels::chat::card::{ButtonStyle, Card, CardState};

/// `text` safe in Feishu's card markdown: its markup characters as numeric entities.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '~' => out.push_str("&#126;"),
            '`' => out.push_str("&#96;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            other => out.push(other),
        }
    }
    out
}

fn plain(text: &str) -> Value {
    json!({"tag": "plain_text", "content": text})
}

/// The card for `card` of request `id`, asking with `placeholder` for the text.
pub(super) fn card_json(card: &Card, id: &str, placeholder: &str) -> Value {
    let mut elements: Vec<Value> = card
        .fields
        .iter()
        .map(|field| {
            let text = if field.code {
                format!(
                    "**{}**\n```\n{}\n```",
                    field.label,
                    field.text.replace("```", "'''")
                )
            } else {
                format!("**{}**\n{}", field.label, escaped(&field.text))
            };
            json!({"tag": "markdown", "content": text})
        })
        .collect();
    elements.push(
        json!({"tag": "markdown", "content": escaped(&card.details_line()),
                         "text_size": "notation"}),
    );
    let template = match &card.state {
        CardState::Open(buttons) => {
            let mut form = vec![json!({"tag": "input", "name": "text", "max_length": 1000,
                                       "placeholder": plain(placeholder)})];
            for b in buttons {
                let kind = match b.style {
                    ButtonStyle::Primary => "primary",
                    ButtonStyle::Danger => "danger",
                    ButtonStyle::Plain => "default",
                };
                form.push(
                    json!({"tag": "button", "text": plain(b.label), "type": kind,
                    "name": b.action.as_str(), "form_action_type": "submit",
                    "behaviors": [{"type": "callback",
                                   "value": {"request": id, "action": b.action.as_str()}}]}),
                );
            }
            elements.push(json!({"tag": "form", "name": "ghl", "elements": form}));
            "blue"
        }
        CardState::Closed(line) => {
            elements.push(json!({"tag": "markdown", "content": format!("**{}**", escaped(line))}));
            if line.starts_with('✅') {
                "green"
            } else if line.starts_with('❌') {
                "red"
            } else {
                "grey"
            }
        }
    };
    json!({
        "schema": "2.0",
        "config": {"update_multi": true},
        "header": {"title": plain(&card.title), "template": template},
        "body": {"elements": elements},
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
    fn an_open_card_is_patchable_and_its_buttons_carry_the_request() {
        let mut r = record("h1");
        r.context = json!({"question": "<at id=all></at> *now*?"});
        let c = card_json(
            &card(&r, EmailLanguage::En, &Directory::default()),
            "h1",
            "Why?",
        );
        assert_eq!(c["config"]["update_multi"], true);
        let elements = c["body"]["elements"].as_array().unwrap();
        assert_eq!(
            elements[0]["content"],
            "**Question**\n&#60;at id=all&#62;&#60;/at&#62; &#42;now&#42;?"
        );
        let form = &elements.last().unwrap()["elements"];
        assert_eq!(form[0]["name"], "text");
        assert_eq!(
            form[1]["behaviors"][0]["value"],
            json!({"request": "h1", "action": "approve"})
        );
        assert_eq!(form[2]["type"], "danger");
    }
}
