//! [`Token`]: everything a later process needs to resume an interrupted step.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::LoopType;
use crate::Error;

/// What an interrupted step leaves behind: the request's ids, the provider that asked, and the
/// caller's own state. Small and serialisable ([`Token::encode`]: compact JSON), so that it can
/// be stored anywhere — a checkpoint, a database row, a queue message — and resumed by any
/// process later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// The name of the provider that asked ([`Resumable::name`](super::Resumable::name)); only
    /// a provider of that name resumes it.
    pub provider: String,
    /// The request's task.
    pub task_id: String,
    /// The request's conversation.
    pub conversation_id: String,
    /// The request.
    pub request_id: String,
    /// What kind of question it is.
    pub loop_type: LoopType,
    /// The platform the request was filed under, where the provider keys requests by it (the
    /// hub does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The caller's own state, handed back unchanged on resume.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub state: Value,
}

impl Token {
    /// The token as compact JSON text.
    pub fn encode(&self) -> String {
        // A struct of strings and JSON values always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A token from [`Token::encode`]'s text; [`Error::BadToken`] says what is wrong with
    /// anything else.
    pub fn decode(text: &str) -> Result<Self, Error> {
        let token: Token =
            serde_json::from_str(text).map_err(|e| Error::BadToken(e.to_string()))?;
        for (field, value) in [
            ("provider", &token.provider),
            ("conversation_id", &token.conversation_id),
            ("request_id", &token.request_id),
        ] {
            if value.is_empty() {
                return Err(Error::BadToken(format!("`{field}` is empty")));
            }
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token() -> Token {
        Token {
            provider: "hub".into(),
            task_id: "t".into(),
            conversation_id: "c".into(),
            request_id: "r".into(),
            loop_type: LoopType::Approval,
            platform: Some("GoHumanLoop".into()),
            state: json!({"step": 3, "files": ["a", "b"]}),
        }
    }

    #[test]
    fn a_token_survives_its_text() {
        let text = token().encode();
        assert_eq!(Token::decode(&text).unwrap(), token());
    }

    #[test]
    fn a_damaged_token_is_refused_with_the_reason() {
        let err = Token::decode("{\"provider\": \"hub\"}").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
        let mut empty = token();
        empty.request_id.clear();
        let err = Token::decode(&empty.encode()).unwrap_err();
        assert!(err.to_string().contains("`request_id` is empty"), "{err}");
        assert!(Token::decode("not json").is_err());
    }
}
