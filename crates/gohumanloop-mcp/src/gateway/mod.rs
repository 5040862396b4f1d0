//! The approval gateway: an MCP server that proxies another one (its tools, resources and
//! prompts, unchanged) and holds every call of a tool that needs approval until a human
//! decides in the hub — or the client's own user, by elicitation. Approved calls are
//! forwarded, with the arguments as the approver edited them; rejected, expired or cancelled
//! ones never reach the upstream and end as an `isError` result saying who and why.
//!
//! A call still waiting when the wait ends returns an `isError` result saying so; the same call
//! (same tool, same arguments) made again resumes the same request, and runs once approved.

mod policy;
mod upstream;
mod verdict;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gohumanloop::model::JsonObject;
use gohumanloop::providers::hub::HubClient;
use gohumanloop::{LoopType, Status};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, ServerPeerInfo, Tool,
};
use rmcp::service::{RequestContext, ServiceError};
use rmcp::{RoleServer, ServerHandler};
use serde_json::{json, Value};
use tokio::sync::{Mutex, RwLock};

pub use policy::Policy;
pub use upstream::Upstream;

use crate::elicit::{self, StateCodec, Waited};
use crate::humans::{Humans, Ids, Question};
use upstream::Connection;

/// How the gateway waits and forwards.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Which tools need approval.
    pub policy: Policy,
    /// How long a gated call waits for the decision before it returns "still waiting" (default
    /// 50 s: below the 60 s several clients give a tool call).
    pub wait: Duration,
    /// Seconds the human has before an approval request expires (default: none).
    pub deadline: Option<u64>,
    /// How long a forwarded call may take upstream (default 120 s).
    pub upstream_timeout: Duration,
    /// Whether to also ask the client's user by elicitation (default yes).
    pub elicit: bool,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            wait: Duration::from_secs(50),
            deadline: None,
            upstream_timeout: Duration::from_secs(120),
            elicit: true,
        }
    }
}

/// The gateway server.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    upstream: Connection,
    name: String,
    humans: Humans,
    options: GatewayOptions,
    state: StateCodec,
    /// The upstream's tools by name, from its last listing.
    tools: RwLock<HashMap<String, Tool>>,
    /// Calls waiting for a decision, by tool and arguments: a repeated call resumes its request.
    waiting: Mutex<HashMap<String, Ids>>,
    info: ServerConfig,
}

impl Gateway {
    /// Connects to `upstream` and asks approvals of the hub of `client`.
    pub async fn start(
        upstream: Upstream,
        client: HubClient,
        options: GatewayOptions,
    ) -> Result<Self, String> {
        let connection = Connection::open(upstream.clone()).await?;
        let theirs = connection.info().await;
        let name = theirs
            .as_ref()
            .and_then(|i| i.server_info.as_ref())
            .map(|i| i.name.clone())
            .unwrap_or_else(|| upstream.to_string());
        let info = mirrored(theirs);
        let gateway = Self {
            inner: Arc::new(Inner {
                upstream: connection,
                name,
                humans: Humans::new(client),
                options,
                state: StateCodec::random(),
                tools: RwLock::new(HashMap::new()),
                waiting: Mutex::new(HashMap::new()),
                info,
            }),
        };
        // Learn the tools' annotations before the first call.
        if let Err(e) = gateway.refresh_tools().await {
            tracing::warn!("cannot list the upstream's tools yet: {e}");
        }
        Ok(gateway)
    }

    async fn refresh_tools(&self) -> Result<(), String> {
        let peer = self.inner.upstream.peer().await?;
        let tools = peer.list_all_tools().await.map_err(|e| e.to_string())?;
        let mut known = self.inner.tools.write().await;
        *known = tools.into_iter().map(|t| (t.name.to_string(), t)).collect();
        Ok(())
    }

    async fn tool(&self, name: &str) -> Option<Tool> {
        if let Some(tool) = self.inner.tools.read().await.get(name) {
            return Some(tool.clone());
        }
        if let Err(e) = self.refresh_tools().await {
            tracing::warn!("cannot list the upstream's tools: {e}");
        }
        self.inner.tools.read().await.get(name).cloned()
    }

    /// Forwards a call as it is.
    async fn forward(&self, request: CallToolRequestParams) -> CallToolResponse {
        let name = request.name.to_string();
        let peer = match self.inner.upstream.peer().await {
            Ok(peer) => peer,
            Err(e) => return verdict::upstream_failed(&name, &e).into(),
        };
        let timeout = self.inner.options.upstream_timeout;
        match tokio::time::timeout(timeout, peer.call_tool_once(request)).await {
            Ok(Ok(CallToolResponse::Complete(result))) => result.into(),
            Ok(Ok(_)) => verdict::upstream_failed(
                &name,
                "it asked for input or started a task, which the gateway does not relay",
            )
            .into(),
            Ok(Err(ServiceError::McpError(e))) => verdict::upstream_refused(&name, &e).into(),
            Ok(Err(e)) => verdict::upstream_failed(&name, &e.to_string()).into(),
            Err(_) => {
                verdict::upstream_failed(&name, &format!("it did not answer within {timeout:?}"))
                    .into()
            }
        }
    }

    /// A gated call: ask (or resume asking), wait, then forward or refuse.
    async fn gated(
        &self,
        request: CallToolRequestParams,
        tool: Option<Tool>,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let inner = &self.inner;
        let arguments = request.arguments.clone().unwrap_or_default();
        let key = call_key(&request.name, &arguments);
        let known = inner.waiting.lock().await.get(&key).cloned();
        let ids = match known {
            Some(ids) => ids,
            None => {
                let question = self.question(&request.name, &arguments, tool.as_ref());
                let ids = match inner.humans.ask(question).await {
                    Ok(ids) => ids,
                    Err(e) => return Ok(verdict::hub_failed(&request.name, &e).into()),
                };
                inner.waiting.lock().await.insert(key.clone(), ids.clone());
                ids
            }
        };
        let message = format!("Allow the tool call {} on {}?", request.name, inner.name);
        let mode = elicit::Mode::of(context, inner.options.elicit, inner.options.wait);
        let waited = elicit::wait(
            &inner.humans,
            &ids,
            &message,
            inner.options.wait,
            mode,
            &inner.state,
            context,
        )
        .await?;
        match waited {
            Waited::Ask(input) => Ok(input.into()),
            Waited::Reply(reply) => Ok(self.decided(request, &ids, key, reply).await),
        }
    }

    /// Acts on the hub's word about a gated call.
    async fn decided(
        &self,
        mut request: CallToolRequestParams,
        ids: &Ids,
        key: String,
        reply: Result<
            gohumanloop::model::wire::StatusResponse,
            gohumanloop::providers::hub::HubError,
        >,
    ) -> CallToolResponse {
        let name = request.name.to_string();
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => return verdict::hub_failed(&name, &e).into(),
        };
        if reply.status == Status::Pending {
            return verdict::still_waiting(&name, ids).into();
        }
        self.inner.waiting.lock().await.remove(&key);
        if reply.status != Status::Approved {
            return verdict::refused(&name, &reply).into();
        }
        let edited = reply.response.as_ref().and_then(|r| r.get("arguments"));
        match edited {
            None => {}
            Some(Value::Object(edited)) => request.arguments = Some(edited.clone()),
            Some(_) => return verdict::bad_edit(&name).into(),
        }
        self.forward(request).await
    }

    fn question(&self, name: &str, arguments: &JsonObject, tool: Option<&Tool>) -> Question {
        let server = &self.inner.name;
        let text = format!("Allow the tool call `{name}` on the MCP server `{server}`?");
        let mut context = JsonObject::new();
        context.insert("question".into(), Value::String(text.clone()));
        context.insert("message".into(), Value::String(text));
        context.insert(
            "function".into(),
            json!({"function_name": name, "arguments": Value::Object(arguments.clone())}),
        );
        if let Some(description) = tool.and_then(|t| t.description.as_deref()) {
            let description: String = description.chars().take(2_000).collect();
            context.insert("additional".into(), Value::String(description));
        }
        let mut metadata = JsonObject::new();
        metadata.insert("mcp_server".into(), Value::String(server.clone()));
        metadata.insert("mcp_tool".into(), Value::String(name.to_owned()));
        Question {
            loop_type: LoopType::Approval,
            context,
            metadata,
            timeout: self.inner.options.deadline,
            conversation_id: None,
        }
    }

    async fn upstream(&self) -> Result<rmcp::service::Peer<rmcp::RoleClient>, ErrorData> {
        self.inner
            .upstream
            .peer()
            .await
            .map_err(|e| ErrorData::internal_error(format!("upstream MCP server: {e}"), None))
    }
}

impl ServerHandler for Gateway {
    fn get_info(&self) -> ServerConfig {
        self.inner.info.clone()
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let listed = self
            .upstream()
            .await?
            .list_tools(request)
            .await
            .map_err(relayed)?;
        let mut known = self.inner.tools.write().await;
        for tool in &listed.tools {
            known.insert(tool.name.to_string(), tool.clone());
        }
        Ok(listed)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(state) = request.request_state.clone() {
            // The retry of a gated call whose client asked its user (protocol 2026-07-28).
            let sealed = self.inner.state.open(&state)?;
            let ids = sealed.ids.clone();
            let responses = request.input_responses.clone().unwrap_or_default();
            let reply = elicit::resumed(&self.inner.humans, sealed, &responses, &context).await;
            let mut forwarded = request;
            forwarded.request_state = None;
            forwarded.input_responses = None;
            let key = call_key(
                &forwarded.name,
                &forwarded.arguments.clone().unwrap_or_default(),
            );
            return Ok(self.decided(forwarded, &ids, key, reply).await);
        }
        let tool = self.tool(&request.name).await;
        if self
            .inner
            .options
            .policy
            .needs_approval(&request.name, tool.as_ref())
        {
            self.gated(request, tool, &context).await
        } else {
            Ok(self.forward(request).await)
        }
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.upstream()
            .await?
            .list_resources(request)
            .await
            .map_err(relayed)
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let peer = self.upstream().await?;
        peer.list_resource_templates(request).await.map_err(relayed)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let peer = self.upstream().await?;
        peer.read_resource(request)
            .await
            .map(Into::into)
            .map_err(relayed)
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.upstream()
            .await?
            .list_prompts(request)
            .await
            .map_err(relayed)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let peer = self.upstream().await?;
        peer.get_prompt(request)
            .await
            .map(Into::into)
            .map_err(relayed)
    }
}

/// The upstream's capabilities (tools always), its name and instructions.
fn mirrored(theirs: Option<ServerPeerInfo>) -> ServerConfig {
    let mut capabilities = ServerCapabilities::builder().enable_tools().build();
    let mut info = Implementation::new("gohumanloop-gateway", env!("CARGO_PKG_VERSION"));
    let mut instructions = None;
    if let Some(theirs) = theirs {
        capabilities.resources = theirs.capabilities.resources;
        capabilities.prompts = theirs.capabilities.prompts;
        capabilities.tools = theirs.capabilities.tools.or(capabilities.tools);
        if let Some(server) = theirs.server_info {
            info =
                Implementation::new(format!("{} (via gohumanloop)", server.name), server.version);
        }
        instructions = theirs.instructions;
    }
    let config = ServerConfig::new(capabilities).with_server_info(info);
    match instructions {
        Some(text) => config.with_instructions(text),
        None => config,
    }
}

/// An upstream's protocol error as it is; anything else as an internal error saying what.
fn relayed(e: ServiceError) -> ErrorData {
    match e {
        ServiceError::McpError(e) => e,
        other => ErrorData::internal_error(format!("upstream MCP server: {other}"), None),
    }
}

/// The identity of a call: its tool and its arguments (keys sorted by serde_json's map).
fn call_key(name: &str, arguments: &JsonObject) -> String {
    format!("{name}\u{0}{}", Value::Object(arguments.clone()))
}

#[cfg(test)]
mod defaults {
    use super::*;

    /// The README's figures: a call waits up to 50 s for the human (below the 60 s several
    /// clients allow), a forwarded call up to 120 s, no deadline, elicitation on. `ghl mcp
    /// gateway` takes these when no flag or file sets them.
    #[test]
    fn the_options_default_to_the_documented_figures() {
        let options = GatewayOptions::default();
        assert_eq!(options.wait, Duration::from_secs(50));
        assert_eq!(options.upstream_timeout, Duration::from_secs(120));
        assert_eq!(options.deadline, None);
        assert!(options.elicit);
    }
}
