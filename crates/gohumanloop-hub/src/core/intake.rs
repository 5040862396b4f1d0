//! Intake: a request as a caller asks for it ([`Ask`]), checked and made into the
//! [`NewRequest`] the store keeps — ids that can be shown and stored, a deadline within
//! bounds, a time-ordered id minted. Every way a request comes in (the original API today; the
//! MCP bridge next) goes through [`Ask::admit`], so they accept and refuse the same requests.

use gohumanloop::model::{JsonObject, LoopType};
use serde_json::Value;

use super::Actor;
use crate::record::{now_ms, NewRequest, RequestKey, TenantId};

/// The longest deadline a request may carry: one year.
pub(crate) const MAX_TIMEOUT_SECS: u64 = 365 * 24 * 3600;

/// The longest id or platform name accepted (bytes).
pub(crate) const MAX_ID_LEN: usize = 255;

/// A request as a caller asks for it, before it is checked.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The business task.
    pub task_id: String,
    /// The dialogue.
    pub conversation_id: String,
    /// The caller's id of the request.
    pub request_id: String,
    /// The platform it is for.
    pub platform: String,
    /// The kind of interaction.
    pub loop_type: LoopType,
    /// What the human is shown.
    pub context: JsonObject,
    /// The caller's metadata (`metadata.timeout` sets a deadline when `timeout` does not).
    pub metadata: JsonObject,
    /// Seconds until the hub expires it (0 or none: no deadline).
    pub timeout: Option<u64>,
    /// The next turn of a conversation the tenant already has.
    pub continues: bool,
}

/// Why a request was not accepted; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unacceptable(String);

impl Ask {
    /// The request to store for `tenant`, created by `actor`, or why it cannot be accepted.
    pub fn admit(self, tenant: TenantId, actor: &Actor) -> Result<NewRequest, Unacceptable> {
        for (name, value) in [
            ("task_id", &self.task_id),
            ("conversation_id", &self.conversation_id),
            ("request_id", &self.request_id),
            ("platform", &self.platform),
        ] {
            check_id(name, value)?;
        }
        check_no_nul("context", &self.context)?;
        check_no_nul("metadata", &self.metadata)?;
        let timeout = deadline_secs(self.timeout, &self.metadata)?;
        let now = now_ms();
        Ok(NewRequest {
            // Time-ordered (v7): new rows append to the id index instead of landing anywhere.
            id: uuid::Uuid::now_v7().to_string(),
            key: RequestKey {
                tenant,
                conversation_id: self.conversation_id,
                request_id: self.request_id,
                platform: self.platform,
            },
            task_id: self.task_id,
            loop_type: self.loop_type,
            context: self.context,
            metadata: self.metadata,
            created_at: now,
            deadline_at: timeout.map(|secs| now + (secs * 1000.0).ceil() as i64),
            actor: actor.identity.clone(),
            channel: actor.channel.clone(),
            continues_conversation: self.continues,
            plan: None,
            call_hash: None,
        })
    }
}

fn check_id(name: &str, value: &str) -> Result<(), Unacceptable> {
    if value.trim().is_empty() {
        return Err(Unacceptable(format!("{name} must not be empty or blank")));
    }
    if value.chars().any(char::is_control) {
        return Err(Unacceptable(format!(
            "{name} must not hold control characters"
        )));
    }
    if value.len() > MAX_ID_LEN {
        return Err(Unacceptable(format!(
            "{name} is longer than {MAX_ID_LEN} bytes"
        )));
    }
    Ok(())
}

/// Refuses a NUL character (`\u0000`) in any key or string of `object`: PostgreSQL can keep
/// no NUL in text or JSON, so a hub on it could not store the request, and every store must
/// accept and refuse the same requests.
fn check_no_nul(name: &str, object: &JsonObject) -> Result<(), Unacceptable> {
    fn holds_nul(value: &Value) -> bool {
        match value {
            Value::String(text) => text.contains('\0'),
            Value::Array(items) => items.iter().any(holds_nul),
            Value::Object(fields) => fields
                .iter()
                .any(|(key, value)| key.contains('\0') || holds_nul(value)),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
    if object
        .iter()
        .any(|(key, value)| key.contains('\0') || holds_nul(value))
    {
        return Err(Unacceptable(format!(
            "{name} must not hold the NUL character (\\u0000)"
        )));
    }
    Ok(())
}

/// The deadline in seconds: a top-level `timeout`, else `metadata.timeout`; 0 means none.
fn deadline_secs(timeout: Option<u64>, metadata: &JsonObject) -> Result<Option<f64>, Unacceptable> {
    let secs = match (timeout, metadata.get("timeout")) {
        (Some(secs), _) => secs as f64,
        (None, None | Some(Value::Null)) => return Ok(None),
        // `-0` is a negative number written as JSON, not "no deadline".
        (None, Some(Value::Number(n))) if n.to_string().starts_with('-') => -1.0,
        (None, Some(Value::Number(n))) => n.as_f64().unwrap_or(-1.0),
        (None, Some(_)) => {
            return Err(Unacceptable(
                "metadata.timeout must be a number of seconds".into(),
            ))
        }
    };
    if secs == 0.0 {
        return Ok(None);
    }
    if !(1.0..=MAX_TIMEOUT_SECS as f64).contains(&secs) {
        return Err(Unacceptable(format!(
            "timeout must be between 1 and {MAX_TIMEOUT_SECS} seconds (0 or absent: none)"
        )));
    }
    Ok(Some(secs))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ask() -> Ask {
        Ask {
            task_id: "t".into(),
            conversation_id: "c".into(),
            request_id: "r".into(),
            platform: "p".into(),
            loop_type: LoopType::Approval,
            context: JsonObject::new(),
            metadata: JsonObject::new(),
            timeout: None,
            continues: false,
        }
    }

    fn metadata(timeout: Value) -> JsonObject {
        json!({ "timeout": timeout })
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn an_admitted_request_keeps_what_was_asked_and_gets_a_deadline() {
        let actor = Actor::new("api", "agent-key");
        let mut asked = ask();
        asked.metadata = metadata(json!(90));
        let before = now_ms();
        let request = asked.admit(7, &actor).unwrap();
        assert_eq!(request.key.tenant, 7);
        assert_eq!(request.key.request_id, "r");
        assert_eq!(
            (request.actor.as_str(), request.channel.as_str()),
            ("agent-key", "api")
        );
        let deadline = request.deadline_at.unwrap();
        assert!(deadline >= before + 90_000 && deadline <= now_ms() + 90_000);
        // A top-level timeout wins; 0 means none.
        let mut asked = ask();
        asked.timeout = Some(0);
        asked.metadata = metadata(json!(90));
        assert_eq!(asked.admit(7, &actor).unwrap().deadline_at, None);
        assert_ne!(
            ask().admit(7, &actor).unwrap().id,
            ask().admit(7, &actor).unwrap().id
        );
    }

    #[test]
    fn bad_ids_and_deadlines_are_refused_by_name() {
        let actor = Actor::new("api", "k");
        let refused = |change: &dyn Fn(&mut Ask)| {
            let mut asked = ask();
            change(&mut asked);
            asked.admit(1, &actor).unwrap_err().to_string()
        };
        assert!(refused(&|a| a.request_id = " ".into()).starts_with("request_id must not be empty"));
        assert!(
            refused(&|a| a.platform = "a\u{0}b".into()).contains("platform must not hold control")
        );
        assert!(refused(&|a| a.task_id = "x".repeat(MAX_ID_LEN + 1)).contains("task_id is longer"));
        for bad in [
            json!(-0.0),
            json!(-5),
            json!(0.5),
            json!(MAX_TIMEOUT_SECS + 1),
        ] {
            assert!(
                refused(&|a| a.metadata = metadata(bad.clone())).starts_with("timeout must be"),
                "{bad}"
            );
        }
        assert!(refused(&|a| a.metadata = metadata(json!("60"))).contains("a number of seconds"));
        assert!(refused(&|a| a.timeout = Some(MAX_TIMEOUT_SECS + 1)).starts_with("timeout must be"));
        let mut fine = ask();
        fine.request_id = "x".repeat(MAX_ID_LEN);
        assert!(fine.admit(1, &actor).is_ok());
    }
}
