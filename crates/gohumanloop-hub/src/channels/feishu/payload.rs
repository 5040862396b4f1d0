//! The parse step: a decrypted Feishu callback into what the hub acts on — the URL
//! verification challenge, a card's button (`card.action.trigger`, event v2), or an approval
//! instance's change (`approval_instance`, event v1, the OA mode).

use serde::Deserialize;
use serde_json::Value;

use crate::core::Action;

/// A decrypted callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeishuCallback {
    /// `url_verification`: answer the challenge if the token is right.
    Challenge {
        /// What to echo.
        challenge: String,
        /// The Verification Token it carries.
        token: String,
    },
    /// A card's button was pressed (`card.action.trigger`).
    CardAction {
        /// The Verification Token in the header.
        token: String,
        /// The request it is for.
        request_id: String,
        /// What the button does.
        action: Action,
        /// The form's text.
        text: String,
        /// Who pressed it: open id, and user id when the app may see it.
        open_id: String,
        /// Their user id.
        user_id: Option<String>,
    },
    /// An approval instance changed (`approval_instance`).
    Approval {
        /// The Verification Token.
        token: String,
        /// The instance.
        instance_code: String,
        /// `APPROVED`, `REJECTED`, `CANCELED`, `DELETED`, `PENDING`, …
        status: String,
    },
    /// Any other event: acknowledged, nothing done.
    Other,
}

/// Why a callback cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Feishu callback: {0}")]
pub struct PayloadError(String);

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    challenge: Option<String>,
    token: Option<String>,
    header: Option<Header>,
    event: Option<Value>,
}

#[derive(Deserialize)]
struct Header {
    event_type: String,
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct CardEvent {
    operator: Operator,
    action: ButtonAction,
}

#[derive(Deserialize)]
struct Operator {
    open_id: String,
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct ButtonAction {
    value: Option<ButtonValue>,
    form_value: Option<Value>,
}

#[derive(Deserialize)]
struct ButtonValue {
    request: String,
    action: String,
}

#[derive(Deserialize)]
struct ApprovalEvent {
    #[serde(rename = "type")]
    kind: String,
    instance_code: String,
    status: String,
}

fn bad(why: impl Into<String>) -> PayloadError {
    PayloadError(why.into())
}

/// The `encrypt` field of the body Feishu POSTs.
pub fn encrypted_field(body: &[u8]) -> Result<String, PayloadError> {
    #[derive(Deserialize)]
    struct Encrypted {
        encrypt: String,
    }
    serde_json::from_slice::<Encrypted>(body)
        .map(|e| e.encrypt)
        .map_err(|_| bad("the body is not {\"encrypt\": …} (set an Encrypt Key in the console)"))
}

/// Reads a decrypted callback.
pub fn parse_callback(plaintext: &[u8]) -> Result<FeishuCallback, PayloadError> {
    let envelope: Envelope = serde_json::from_slice(plaintext).map_err(|e| bad(e.to_string()))?;
    if envelope.kind.as_deref() == Some("url_verification") {
        return Ok(FeishuCallback::Challenge {
            challenge: envelope.challenge.ok_or_else(|| bad("no challenge"))?,
            token: envelope.token.unwrap_or_default(),
        });
    }
    if let Some(header) = envelope.header {
        if header.event_type != "card.action.trigger" {
            return Ok(FeishuCallback::Other);
        }
        let event: CardEvent = serde_json::from_value(envelope.event.unwrap_or(Value::Null))
            .map_err(|e| bad(e.to_string()))?;
        let Some(value) = event.action.value else {
            return Ok(FeishuCallback::Other);
        };
        let Ok(action) = value.action.parse::<Action>() else {
            return Ok(FeishuCallback::Other);
        };
        let text = event
            .action
            .form_value
            .as_ref()
            .and_then(|form| form.get("text"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Ok(FeishuCallback::CardAction {
            token: header.token,
            request_id: value.request,
            action,
            text,
            open_id: event.operator.open_id,
            user_id: event.operator.user_id.filter(|u| !u.is_empty()),
        });
    }
    if envelope.kind.as_deref() == Some("event_callback") {
        let event = envelope.event.unwrap_or(Value::Null);
        if event.get("type").and_then(Value::as_str) != Some("approval_instance") {
            return Ok(FeishuCallback::Other);
        }
        let event: ApprovalEvent = serde_json::from_value(event).map_err(|e| bad(e.to_string()))?;
        debug_assert_eq!(event.kind, "approval_instance");
        return Ok(FeishuCallback::Approval {
            token: envelope.token.unwrap_or_default(),
            instance_code: event.instance_code,
            status: event.status,
        });
    }
    Ok(FeishuCallback::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_challenge_a_card_action_and_an_approval_are_read() {
        let challenge = json!({"challenge": "ajls384kdjx98XX", "token": "xxxxxx",
                               "type": "url_verification"});
        assert_eq!(
            parse_callback(challenge.to_string().as_bytes()).unwrap(),
            FeishuCallback::Challenge {
                challenge: "ajls384kdjx98XX".into(),
                token: "xxxxxx".into()
            }
        );
        let click = json!({"schema": "2.0", "header": {"event_id": "e1", "token": "vt",
            "create_time": "1", "event_type": "card.action.trigger", "tenant_key": "t",
            "app_id": "cli_1"},
            "event": {"operator": {"tenant_key": "t", "user_id": "u1", "open_id": "ou_1"},
                      "token": "c-1", "action": {"value": {"request": "h1", "action": "reject"},
                      "tag": "button", "form_value": {"text": "no"}, "name": "reject"},
                      "host": "im_message", "context": {"open_message_id": "om_1",
                      "open_chat_id": "oc_1"}}});
        assert_eq!(
            parse_callback(click.to_string().as_bytes()).unwrap(),
            FeishuCallback::CardAction {
                token: "vt".into(),
                request_id: "h1".into(),
                action: Action::Reject,
                text: "no".into(),
                open_id: "ou_1".into(),
                user_id: Some("u1".into())
            }
        );
        let approval = json!({"uuid": "u", "token": "vt", "ts": "1", "type": "event_callback",
            "event": {"app_id": "cli_1", "approval_code": "A", "instance_code": "I1",
                      "status": "APPROVED", "operate_time": "1", "tenant_key": "t",
                      "type": "approval_instance"}});
        assert!(
            matches!(parse_callback(approval.to_string().as_bytes()).unwrap(),
            FeishuCallback::Approval { ref status, .. } if status == "APPROVED")
        );
        for garbage in [
            &b""[..],
            b"{}",
            b"[]",
            b"{\"header\": 1}",
            b"{\"schema\":\"2.0\",\"header\":{\"event_type\":\"card.action.trigger\"}}",
        ] {
            let read = parse_callback(garbage);
            assert!(
                !matches!(read, Ok(FeishuCallback::CardAction { .. })),
                "{garbage:?}"
            );
        }
    }
}
