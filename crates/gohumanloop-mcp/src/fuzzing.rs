//! Entry points for the fuzz targets in `fuzz/` (crate `gohumanloop-fuzz`) and for the test
//! that replays their corpora: each forwards to the crate-private step the MCP bridge runs on
//! what an MCP client sends. Not an API: nothing else should call these.

use std::time::Duration;

use gohumanloop::model::LoopType;
use rmcp::model::ClientJsonRpcMessage;
use serde_json::{Map, Value};

use crate::elicit::{form, StateCodec};
use crate::humans::Ids;

/// A JSON-RPC message from an MCP client, read as rmcp's transports read one (a stdio line, an
/// HTTP body), and written back as JSON.
pub fn client_message(bytes: &[u8]) -> Result<Value, String> {
    let message: ClientJsonRpcMessage = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    serde_json::to_value(&message).map_err(|e| e.to_string())
}

/// A `tools/call`'s arguments as the ask-a-human tool `name` reads them; the tool error's
/// content (as JSON) when refused.
pub fn tool_arguments(name: &str, arguments: Map<String, Value>) -> Result<(), String> {
    crate::ask::check_arguments(name, arguments)
        .map_err(|refused| serde_json::to_string(&refused.content).unwrap_or_default())
}

/// The answer in an accepted elicitation form's `content` for a request of `loop_type`, as
/// the bridge reads it (written with `Debug`), or `None` when it holds none.
pub fn elicited_answer(loop_type: LoopType, content: &Value) -> Option<String> {
    form::answer(loop_type, content).map(|answer| format!("{answer:?}"))
}

/// A `requestState` sealed with `key` (32 bytes or more) for these ids and wait.
pub fn seal_request_state(
    key: &[u8],
    conversation_id: &str,
    request_id: &str,
    wait_secs: u64,
) -> Result<String, String> {
    let ids = Ids::named(conversation_id.to_owned(), request_id.to_owned());
    StateCodec::with_key(key.to_vec())
        .seal(&ids, Duration::from_secs(wait_secs))
        .map_err(|e| e.message.to_string())
}

/// What a `requestState` sealed with `key` holds, as a retry's is opened: the conversation,
/// the request and the wait (seconds); the refusal's words otherwise.
pub fn open_request_state(key: &[u8], state: &str) -> Result<(String, String, u64), String> {
    let sealed = StateCodec::with_key(key.to_vec())
        .open(state)
        .map_err(|e| e.message.to_string())?;
    Ok((
        sealed.ids.conversation_id,
        sealed.ids.request_id,
        sealed.wait_secs,
    ))
}
