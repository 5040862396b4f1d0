//! The parse step: Slack's interaction payload (a form with one `payload` field holding JSON)
//! into what the hub acts on. Only read after the signature was checked.

use std::collections::HashMap;

use serde::Deserialize;

use crate::core::Action;

/// What a verified interaction asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackInteraction {
    /// A button of a card was pressed.
    Click {
        /// The button's action.
        action: Action,
        /// The request it is for.
        request_id: String,
        /// Who pressed it.
        user: SlackUser,
        /// To open a modal with (valid for 3 seconds).
        trigger_id: Option<String>,
        /// The message's channel and ts, when it came from a message.
        message: Option<(String, String)>,
    },
    /// A modal's text was sent.
    Submission {
        /// The action the modal was opened for.
        action: Action,
        /// The request it is for.
        request_id: String,
        /// What they typed.
        text: String,
        /// Who sent it.
        user: SlackUser,
    },
    /// Anything else (a modal closed, a shortcut): acknowledged, nothing done.
    Other,
}

/// A Slack user as a payload names them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SlackUser {
    /// `U…`.
    pub id: String,
    /// Their handle.
    #[serde(default)]
    pub username: Option<String>,
    /// Their name (older payloads).
    #[serde(default)]
    pub name: Option<String>,
}

/// Why a payload cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Slack interaction payload: {0}")]
pub struct PayloadError(String);

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    user: Option<SlackUser>,
    trigger_id: Option<String>,
    #[serde(default)]
    actions: Vec<ButtonAction>,
    container: Option<Container>,
    view: Option<View>,
}

#[derive(Deserialize)]
struct ButtonAction {
    action_id: String,
    value: Option<String>,
}

#[derive(Deserialize)]
struct Container {
    channel_id: Option<String>,
    message_ts: Option<String>,
}

#[derive(Deserialize)]
struct View {
    #[serde(default)]
    private_metadata: String,
    state: Option<ViewState>,
}

#[derive(Deserialize)]
struct ViewState {
    values: HashMap<String, HashMap<String, InputValue>>,
}

#[derive(Deserialize)]
struct InputValue {
    value: Option<String>,
}

#[derive(Deserialize)]
struct ModalMetadata {
    request: String,
    action: String,
}

fn bad(why: impl Into<String>) -> PayloadError {
    PayloadError(why.into())
}

/// Reads the raw form body Slack POSTs.
pub fn parse_interaction(form: &[u8]) -> Result<SlackInteraction, PayloadError> {
    let json = form_urlencoded::parse(form)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| bad("no payload field"))?;
    let payload: Payload = serde_json::from_str(&json).map_err(|e| bad(e.to_string()))?;
    let user = || payload.user.clone().ok_or_else(|| bad("no user"));
    match payload.kind.as_str() {
        "block_actions" => {
            let Some(pressed) = payload.actions.first() else {
                return Err(bad("no action"));
            };
            let Ok(action) = pressed.action_id.parse::<Action>() else {
                return Ok(SlackInteraction::Other);
            };
            let request_id = pressed.value.clone().ok_or_else(|| bad("no value"))?;
            let message = payload
                .container
                .as_ref()
                .and_then(|c| Some((c.channel_id.clone()?, c.message_ts.clone()?)));
            Ok(SlackInteraction::Click {
                action,
                request_id,
                user: user()?,
                trigger_id: payload.trigger_id.clone(),
                message,
            })
        }
        "view_submission" => {
            let view = payload.view.as_ref().ok_or_else(|| bad("no view"))?;
            let metadata: ModalMetadata = serde_json::from_str(&view.private_metadata)
                .map_err(|_| bad("not the hub's modal"))?;
            let action = metadata
                .action
                .parse::<Action>()
                .map_err(|e| bad(e.to_string()))?;
            let text = view
                .state
                .as_ref()
                .and_then(|s| s.values.get("text"))
                .and_then(|block| block.get("text"))
                .and_then(|input| input.value.clone())
                .unwrap_or_default();
            Ok(SlackInteraction::Submission {
                action,
                request_id: metadata.request,
                text,
                user: user()?,
            })
        }
        _ => Ok(SlackInteraction::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(payload: serde_json::Value) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
            .into_bytes()
    }

    #[test]
    fn a_click_and_a_submission_are_read_and_garbage_is_refused() {
        let click = form(
            json!({"type": "block_actions", "user": {"id": "U1", "username": "al"},
            "trigger_id": "t1", "container": {"channel_id": "C1", "message_ts": "1.2"},
            "actions": [{"action_id": "approve", "value": "h1"}]}),
        );
        assert_eq!(
            parse_interaction(&click).unwrap(),
            SlackInteraction::Click {
                action: Action::Approve,
                request_id: "h1".into(),
                user: SlackUser {
                    id: "U1".into(),
                    username: Some("al".into()),
                    name: None
                },
                trigger_id: Some("t1".into()),
                message: Some(("C1".into(), "1.2".into())),
            }
        );
        let sent = form(json!({"type": "view_submission", "user": {"id": "U1"},
            "view": {"private_metadata": "{\"request\":\"h1\",\"action\":\"reject\"}",
                     "state": {"values": {"text": {"text": {"value": "no"}}}}}}));
        assert!(matches!(parse_interaction(&sent).unwrap(),
            SlackInteraction::Submission { action: Action::Reject, ref text, .. } if text == "no"));
        for garbage in [
            &b""[..],
            b"payload=",
            b"payload=%7B%7D",
            b"payload=[1]",
            b"x=1",
        ] {
            assert!(parse_interaction(garbage).is_err(), "{garbage:?}");
        }
    }
}
