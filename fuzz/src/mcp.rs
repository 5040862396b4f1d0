//! The MCP bridge's inputs: JSON-RPC messages, tool-call arguments, elicited answers, sealed
//! request states, the gateway's tool names.

use gohumanloop::model::LoopType;
use gohumanloop_mcp::fuzzing as mcp;
use gohumanloop_mcp::gateway::Policy;
use serde_json::Value;

/// The key the corpus's request states are sealed with.
pub const STATE_KEY: &[u8; 32] = b"ghl-fuzz-mcp-request-state-key!!";

/// The ask-a-human tools.
const TOOLS: [&str; 7] = [
    "request_approval",
    "request_information",
    "start_conversation",
    "continue_conversation",
    "check_request",
    "cancel_request",
    "answer_request",
];

/// What an MCP client sends the bridge: the bytes as a JSON-RPC message (rmcp's types, as its
/// transports read one; once written back, it reads back the same); a
/// `tools/call`'s arguments (or the whole object) as each ask-a-human tool reads them; an
/// elicitation's `content` as the answer of each loop type; the text as a sealed
/// `requestState` (fixed key; what the bridge seals opens to the same ids); a tool name
/// through the gateway's approval policy.
pub fn mcp_bridge(data: &[u8]) {
    if let Ok(message) = mcp::client_message(data) {
        // Once written back, a message reads back the same. (Not the first reading: a message
        // rmcp cannot type — e.g. a `tools/call` with a duplicate key — is kept whole as a
        // custom request, refused as an unknown method; written back without the duplicate,
        // it types, and unknown fields drop.)
        let text = serde_json::to_vec(&message).expect("serializes");
        let once = mcp::client_message(&text).expect("an accepted message reads back");
        let text = serde_json::to_vec(&once).expect("serializes");
        let twice = mcp::client_message(&text).expect("an accepted message reads back");
        assert_eq!(twice, once, "a message written back reads back the same");
    }
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(data) {
        let params = object.get("params").and_then(Value::as_object);
        let name = params.and_then(|p| p.get("name")).and_then(Value::as_str);
        let arguments = params
            .and_then(|p| p.get("arguments"))
            .and_then(Value::as_object)
            .cloned();
        match (name, arguments) {
            (Some(name), Some(arguments)) => {
                let _ = mcp::tool_arguments(name, arguments);
            }
            _ => {
                for tool in TOOLS {
                    let _ = mcp::tool_arguments(tool, object.clone());
                }
            }
        }
        let content = params
            .and_then(|p| p.get("content"))
            .cloned()
            .unwrap_or_else(|| Value::Object(object.clone()));
        for loop_type in [
            LoopType::Approval,
            LoopType::Information,
            LoopType::Conversation,
        ] {
            let _ = mcp::elicited_answer(loop_type, &content);
        }
        if let Some(name) = name {
            gate(name);
        }
    }
    if let Some(text) = crate::text(data) {
        let _ = mcp::open_request_state(STATE_KEY, text);
        if let Some(([conversation_id, request_id], _)) = crate::lines::<2>(data) {
            let (Some(conversation_id), Some(request_id)) =
                (crate::text(conversation_id), crate::text(request_id))
            else {
                return;
            };
            let sealed = mcp::seal_request_state(STATE_KEY, conversation_id, request_id, 30)
                .expect("a state seals");
            assert_eq!(
                mcp::open_request_state(STATE_KEY, &sealed),
                Ok((conversation_id.to_owned(), request_id.to_owned(), 30)),
                "a sealed state opens to what was sealed"
            );
        }
    }
}

/// A tool name through the gateway's policy (globs on names).
fn gate(name: &str) {
    let policy = Policy::new(&["write_*".into(), "*delete*".into()], &["read_*".into()])
        .expect("valid globs");
    let _ = policy.needs_approval(name, None);
}
