//! Merging `tasks/sync` uploads: the client sends the same task snapshot again and again, so a
//! merge must be idempotent. Conversations are merged by `conversation_id`, requests by
//! `request_id`; what the newest upload says about a request replaces what an older one said.

use gohumanloop::model::wire::TaskSync;
use serde_json::{json, Map, Value};

/// Merges `upload` into the stored snapshot `stored` (if any) and returns the new snapshot.
pub fn merge_snapshot(stored: Option<Value>, upload: &TaskSync) -> Value {
    let mut conversations: Vec<Value> = stored
        .as_ref()
        .and_then(|s| s.get("conversations"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for incoming in &upload.conversations {
        let requests: Vec<Value> = incoming
            .requests
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect();
        let existing = conversations.iter_mut().find(|c| {
            c.get("conversation_id").and_then(Value::as_str) == Some(&incoming.conversation_id)
        });
        match existing {
            Some(conversation) => {
                if let Some(provider) = &incoming.provider_id {
                    conversation["provider_id"] = Value::String(provider.clone());
                }
                merge_requests(conversation, requests);
            }
            None => conversations.push(json!({
                "conversation_id": incoming.conversation_id,
                "provider_id": incoming.provider_id,
                "requests": requests,
            })),
        }
    }
    let mut snapshot = Map::new();
    snapshot.insert("task_id".into(), Value::String(upload.task_id.clone()));
    snapshot.insert("conversations".into(), Value::Array(conversations));
    snapshot.insert("timestamp".into(), Value::String(upload.timestamp.clone()));
    snapshot.insert(
        "metadata".into(),
        serde_json::to_value(&upload.metadata).unwrap_or(Value::Null),
    );
    Value::Object(snapshot)
}

fn merge_requests(conversation: &mut Value, incoming: Vec<Value>) {
    let Some(list) = conversation
        .get_mut("requests")
        .and_then(Value::as_array_mut)
    else {
        conversation["requests"] = Value::Array(incoming);
        return;
    };
    for request in incoming {
        let id = request.get("request_id").cloned();
        match list.iter_mut().find(|r| r.get("request_id") == id.as_ref()) {
            Some(slot) => *slot = request,
            None => list.push(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(requests: Value) -> TaskSync {
        serde_json::from_value(json!({
            "task_id": "t1",
            "conversations": [{"conversation_id": "c1", "provider_id": "p", "requests": requests}],
            "timestamp": "2025-08-25T10:00:00.123456",
            "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
        }))
        .unwrap()
    }

    fn request(id: &str, status: &str) -> Value {
        json!({"request_id": id, "status": status, "loop_type": "approval", "response": {}})
    }

    #[test]
    fn the_same_upload_twice_gives_the_same_snapshot() {
        let u = upload(json!([request("r1", "pending")]));
        let once = merge_snapshot(None, &u);
        let twice = merge_snapshot(Some(once.clone()), &u);
        assert_eq!(once, twice);
    }

    #[test]
    fn newer_request_state_replaces_older_and_new_requests_are_added() {
        let first = merge_snapshot(None, &upload(json!([request("r1", "pending")])));
        let second = merge_snapshot(
            Some(first),
            &upload(json!([request("r1", "approved"), request("r2", "pending")])),
        );
        let requests = second["conversations"][0]["requests"].as_array().unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0]["status"], "approved");
        assert_eq!(requests[1]["request_id"], "r2");
    }
}
