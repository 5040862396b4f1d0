//! Helpers of the MCP tests: rmcp's own client (a real MCP client SDK) connected to `ghl mcp`
//! over stdio or to a hub's `/mcp` over streamable HTTP, with a client user who answers
//! elicitations as a test says.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ErrorData, Implementation,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, Mutex};

use super::common::GHL;

/// What the client's user does with an elicitation.
#[derive(Clone)]
pub enum User {
    /// The client cannot elicit at all (no capability).
    Absent,
    /// Answers at once with this content.
    Answers(Value),
    /// Keeps the form open until the server withdraws it; reports the withdrawal.
    Waits(mpsc::UnboundedSender<String>),
}

/// An MCP client (rmcp) with a user.
#[derive(Clone)]
pub struct Client {
    user: User,
    /// Declares MCP Apps (`io.modelcontextprotocol/ui` with HTML views).
    apps: bool,
    /// Declares MCP Tasks (`io.modelcontextprotocol/tasks`).
    tasks: bool,
    /// The messages of the forms the user was shown.
    pub shown: Arc<Mutex<Vec<String>>>,
}

impl Client {
    pub fn new(user: User) -> Self {
        Self {
            user,
            apps: false,
            tasks: false,
            shown: Arc::default(),
        }
    }

    /// A client that runs long calls as tasks (and cannot elicit).
    pub fn polling_tasks() -> Self {
        Self {
            tasks: true,
            ..Self::new(User::Absent)
        }
    }

    /// A client that renders MCP Apps views (like Claude Desktop: no elicitation).
    pub fn rendering_apps() -> Self {
        Self {
            apps: true,
            ..Self::new(User::Absent)
        }
    }
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = match self.user {
            User::Absent => ClientCapabilities::default(),
            _ => ClientCapabilities::builder().enable_elicitation().build(),
        };
        if self.tasks {
            let extensions = capabilities.extensions.get_or_insert_with(Default::default);
            extensions.insert("io.modelcontextprotocol/tasks".to_owned(), Map::new());
        }
        if self.apps {
            let settings = json!({"mimeTypes": ["text/html;profile=mcp-app"]});
            let Value::Object(settings) = settings else {
                unreachable!()
            };
            let extensions = capabilities.extensions.get_or_insert_with(Default::default);
            extensions.insert("io.modelcontextprotocol/ui".to_owned(), settings);
        }
        ClientConfig::new(capabilities, Implementation::new("ghl-tests", "1"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.shown.lock().await.push(message.clone());
        }
        match &self.user {
            User::Absent => Err(ErrorData::internal_error("no user", None)),
            User::Answers(content) => {
                Ok(ElicitResult::new(ElicitationAction::Accept).with_content(content.clone()))
            }
            User::Waits(withdrawn) => {
                // Bounded: a server that never withdraws fails the test, it does not hang it.
                let ct = context.ct.clone();
                let outcome = tokio::time::timeout(Duration::from_secs(30), ct.cancelled()).await;
                let _ = withdrawn.send(
                    if outcome.is_ok() {
                        "withdrawn"
                    } else {
                        "never withdrawn"
                    }
                    .into(),
                );
                Ok(ElicitResult::new(ElicitationAction::Cancel))
            }
        }
    }
}

/// `ghl mcp --hub BASE --key KEY ARGS…` over stdio.
pub async fn stdio(
    base: &str,
    key: &str,
    args: &[&str],
    client: Client,
) -> RunningService<RoleClient, Client> {
    let mut command = tokio::process::Command::new(GHL);
    command
        .args(["mcp", "--hub", base, "--key", key])
        .args(args);
    let transport = TokioChildProcess::new(command).expect("ghl mcp starts");
    client
        .serve(transport)
        .await
        .expect("an MCP session with ghl mcp")
}

/// The hub's `/mcp` over streamable HTTP with `key` as bearer token.
pub async fn http(
    base: &str,
    key: &str,
    client: Client,
) -> Result<RunningService<RoleClient, Client>, String> {
    let config =
        StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(key);
    let transport = StreamableHttpClientTransport::from_config(config);
    client.serve(transport).await.map_err(|e| e.to_string())
}

/// Calls `tool` with JSON `arguments`.
pub async fn call(
    session: &RunningService<RoleClient, Client>,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object")
    };
    session
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .expect("the tool call gets a result")
}

/// The structured content of a result.
pub fn structured(result: &CallToolResult) -> Map<String, Value> {
    match &result.structured_content {
        Some(Value::Object(map)) => map.clone(),
        other => panic!("no structured content: {other:?} in {result:?}"),
    }
}

/// The text of a result's first content block.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// The one pending request of the hub that `key` sees, once it is there (bounded wait).
pub async fn pending_request(base: &str, key: &str) -> Value {
    let url = format!("{base}/api/v1/requests?status=pending");
    gohumanloop_testkit::until("a pending request", Duration::from_secs(60), || async {
        let page = super::common::get_json(&url, key).await;
        page["requests"].as_array().and_then(|r| r.first()).cloned()
    })
    .await
}

/// Approves request `id` (the hub's or the client's id) through the answering API, optionally
/// with edited arguments.
pub async fn approve(base: &str, key: &str, id: &str, arguments: Option<Value>) -> Value {
    let mut body = json!({"reason": "fine by me"});
    if let Some(arguments) = arguments {
        body["response"] =
            json!({"decision": "approved", "reason": "edited", "arguments": arguments});
    }
    super::common::post_json(&format!("{base}/api/v1/requests/{id}/approve"), key, &body).await
}

/// Rejects request `id`.
pub async fn reject(base: &str, key: &str, id: &str, reason: &str) -> Value {
    let body = json!({"reason": reason});
    super::common::post_json(&format!("{base}/api/v1/requests/{id}/reject"), key, &body).await
}
