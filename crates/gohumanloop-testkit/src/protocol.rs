//! The original protocol's bodies, as the original Python client sends them.

use serde_json::{json, Value};

/// The body the original client sends for an approval.
pub fn create_body(cid: &str, rid: &str) -> Value {
    json!({
        "task_id": "task-1",
        "conversation_id": cid,
        "request_id": rid,
        "loop_type": "approval",
        "context": {"message": "May I deploy?", "question": "Approve?"},
        "platform": "test",
        "metadata": {"source": "tests"}
    })
}
