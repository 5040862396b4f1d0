//! Local fakes of the chat platforms' APIs, on loopback: each records every call and answers
//! as the platform's published API does.

#![allow(dead_code)]

pub mod fake;
pub mod feishu;
pub mod inbox;
pub mod slack;
pub mod wecom;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `text` percent-encoded for a form.
pub fn form_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The approver alice (Alice Chen) with her account on every platform.
pub const ALICE: &str = r#"
[[approver]]
name = "alice"
display_name = "Alice Chen"
slack = "U1"
feishu = "ou_alice"
wecom = "zhangsan"
"#;

/// Writes `ghl.toml` of these tables into `dir`; its path.
pub fn write_config(dir: &std::path::Path, tables: &[String]) -> String {
    let path = dir.join("ghl.toml");
    std::fs::write(&path, tables.concat()).unwrap();
    path.display().to_string()
}

/// `ghl serve --config` with a file of these tables, and an agent's key of tenant `a`.
pub fn serve(tables: &[String]) -> (crate::common::HubProcess, String) {
    let mut hub = crate::common::HubProcess::unstarted();
    let file = write_config(hub.path(), tables);
    hub.set_extra(&["--config", &file], &[]);
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");
    (hub, key)
}

/// `[[approvers]]`-style route line: `approvers = [...]`, or nothing for anyone.
fn approvers_line(approvers: &[&str]) -> String {
    if approvers.is_empty() {
        String::new()
    } else {
        format!("approvers = {approvers:?}\n")
    }
}

/// The agent's status check of request `rid` in conversation `cid` (platform `deploy`),
/// waiting up to `wait` seconds.
pub async fn status(
    hub: &crate::common::HubProcess,
    key: &str,
    cid: &str,
    rid: &str,
    wait: u32,
) -> serde_json::Value {
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id={cid}&request_id={rid}&platform=deploy&wait={wait}",
        hub.base
    );
    crate::common::get_json(&url, key).await
}

/// Creates request `rid` of `loop_type` in conversation `c1` (platform `deploy`) with this
/// context and metadata; asserts it was accepted.
pub async fn create(
    hub: &crate::common::HubProcess,
    key: &str,
    rid: &str,
    loop_type: &str,
    context: serde_json::Value,
    metadata: serde_json::Value,
) {
    let body = serde_json::json!({"task_id": "t", "conversation_id": "c1", "request_id": rid,
        "loop_type": loop_type, "platform": "deploy", "metadata": metadata, "context": context});
    let reply = crate::common::post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        key,
        &body,
    )
    .await;
    assert_eq!(reply["success"], true, "{reply}");
}
