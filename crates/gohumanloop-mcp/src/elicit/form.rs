//! The elicitation form a question becomes for the client's own user, and how that user's
//! answer reads as an [`Answer`] for the hub.

use gohumanloop::LoopType;
use rmcp::model::{ElicitRequestParams, ElicitationSchema};
use serde_json::{json, Value};

use crate::humans::Answer;

/// The reason recorded when the client's user rejects without saying why.
const NO_REASON: &str = "rejected in the MCP client";

/// An elicitation form for a question of `loop_type` showing `message`.
pub(crate) fn params(loop_type: LoopType, message: &str) -> ElicitRequestParams {
    let schema = match loop_type {
        LoopType::Approval => json!({
            "type": "object",
            "properties": {
                "decision": {
                    "type": "string", "title": "Decision",
                    "enum": ["approve", "reject"], "enumNames": ["Approve", "Reject"]
                },
                "reason": {"type": "string", "title": "Reason (required to reject)"}
            },
            "required": ["decision"]
        }),
        LoopType::Information => json!({
            "type": "object",
            "properties": {"answer": {"type": "string", "title": "Answer", "minLength": 1}},
            "required": ["answer"]
        }),
        LoopType::Conversation => json!({
            "type": "object",
            "properties": {
                "reply": {"type": "string", "title": "Reply", "minLength": 1},
                "end": {"type": "boolean", "title": "End the conversation", "default": false}
            },
            "required": ["reply"]
        }),
    };
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: message.to_owned(),
        // A constant shape: it always parses.
        requested_schema: serde_json::from_value::<ElicitationSchema>(schema)
            .unwrap_or_else(|_| ElicitationSchema::builder().build_unchecked()),
    }
}

/// The answer in an accepted form's `content`, or `None` when it does not hold one.
pub(crate) fn answer(loop_type: LoopType, content: &Value) -> Option<Answer> {
    let text = |key: &str| {
        content
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    match loop_type {
        LoopType::Approval => match content.get("decision").and_then(Value::as_str)? {
            "approve" => Some(Answer::Approve(text("reason"))),
            "reject" => Some(Answer::Reject(
                text("reason").unwrap_or_else(|| NO_REASON.to_owned()),
            )),
            _ => None,
        },
        LoopType::Information => text("answer").map(Answer::Inform),
        LoopType::Conversation => text("reply").map(|text| Answer::Reply {
            text,
            complete: content.get("end").and_then(Value::as_bool) == Some(true),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_has_its_fields_and_reads_back_as_an_answer() {
        for loop_type in LoopType::ALL {
            let ElicitRequestParams::FormElicitationParams {
                requested_schema, ..
            } = params(loop_type, "q?")
            else {
                panic!("a form")
            };
            let schema = serde_json::to_value(&requested_schema).expect("serialises");
            assert!(
                schema["required"].as_array().is_some_and(|r| !r.is_empty()),
                "{loop_type:?}: {schema}"
            );
        }
        let approve = json!({"decision": "approve"});
        assert_eq!(
            answer(LoopType::Approval, &approve),
            Some(Answer::Approve(None))
        );
        let reject = json!({"decision": "reject", "reason": "  "});
        assert_eq!(
            answer(LoopType::Approval, &reject),
            Some(Answer::Reject(NO_REASON.into()))
        );
        assert_eq!(
            answer(LoopType::Approval, &json!({"decision": "maybe"})),
            None
        );
        assert_eq!(answer(LoopType::Information, &json!({"answer": ""})), None);
        let end = json!({"reply": "bye", "end": true});
        assert_eq!(
            answer(LoopType::Conversation, &end),
            Some(Answer::Reply {
                text: "bye".into(),
                complete: true
            })
        );
    }
}
