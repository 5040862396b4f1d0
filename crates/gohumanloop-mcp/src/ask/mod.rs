//! [`AskServer`]: the ask-a-human tools. Each asking tool creates a request in the hub, puts it
//! also to the client's own user where the client can elicit, waits for the first answer up to
//! the configured time, and otherwise returns `pending` with how to resume — the request stays
//! in the hub, so a client that times out, disconnects or restarts loses nothing.

mod app;
mod params;
mod task;
mod tools;

use std::sync::Arc;
use std::time::Duration;

use gohumanloop::model::JsonObject;
use gohumanloop::providers::hub::{HubClient, HubError};
use gohumanloop::LoopType;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, ContentBlock,
    ErrorData, GetTaskParams, GetTaskResult, Implementation, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::elicit::{self, StateCodec, Waited};
use crate::humans::{Answer, Humans, Ids, Question};
use crate::outcome::Outcome;
use params::{
    AnswerParams, ApprovalParams, CancelParams, CheckParams, ContinueParams, InformationParams,
    StartParams, Timing, ViewAction,
};

/// The arguments as the tool's parameters, or (returned at once) the tool error saying why not.
macro_rules! parsed {
    ($arguments:expr) => {
        match checked($arguments) {
            Ok(parameters) => parameters,
            Err(refused) => return Ok(refused.into()),
        }
    };
}

/// The most bytes of arguments one call may carry.
const MAX_ARGUMENT_BYTES: usize = 256 * 1024;

/// How long the asking tools wait, and whether they also elicit.
#[derive(Debug, Clone)]
pub struct AskOptions {
    /// How long a call waits for the human before it returns `pending` (default 50 s: below
    /// the 60 s that several clients give a tool call).
    pub wait: Duration,
    /// The longest wait a call may ask for with `wait_seconds` (default 10 minutes).
    pub max_wait: Duration,
    /// Whether to also put the question to the client's user by elicitation, where the client
    /// can (default yes).
    pub elicit: bool,
}

impl Default for AskOptions {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(50),
            max_wait: Duration::from_secs(600),
            elicit: true,
        }
    }
}

/// Whose key the server asks with.
#[derive(Clone, Debug)]
enum Backend {
    /// One key for every call (stdio: the key given to `ghl mcp`).
    Fixed(Humans),
    /// The key each HTTP caller sends as its bearer token (the hub's `/mcp`).
    PerCaller(HubClient),
}

/// The ask-a-human MCP server.
#[derive(Clone)]
pub struct AskServer {
    backend: Backend,
    options: AskOptions,
    state: Arc<StateCodec>,
}

impl AskServer {
    /// A server that asks the hub of `client` with its key.
    pub fn new(client: HubClient, options: AskOptions) -> Self {
        Self::with_backend(Backend::Fixed(Humans::new(client)), options)
    }

    /// A server for HTTP: each call asks with the bearer key its caller sent (checked by the
    /// hub as for every API call, so tenant walls hold).
    pub fn per_caller(client: HubClient, options: AskOptions) -> Self {
        Self::with_backend(Backend::PerCaller(client), options)
    }

    fn with_backend(backend: Backend, options: AskOptions) -> Self {
        Self {
            backend,
            options,
            state: Arc::new(StateCodec::random()),
        }
    }

    fn humans(&self, context: &RequestContext<RoleServer>) -> Result<Humans, ErrorData> {
        match &self.backend {
            Backend::Fixed(humans) => Ok(humans.clone()),
            Backend::PerCaller(client) => {
                let key = context
                    .extensions
                    .get::<http::request::Parts>()
                    .and_then(|parts| crate::http::bearer_key(&parts.headers))
                    .ok_or_else(|| {
                        ErrorData::invalid_request(
                            "no API key: send Authorization: Bearer KEY",
                            None,
                        )
                    })?;
                Ok(Humans::new(client.with_key(key)))
            }
        }
    }

    fn wait(&self, asked: Option<u64>) -> Duration {
        asked
            .map(Duration::from_secs)
            .unwrap_or(self.options.wait)
            .min(self.options.max_wait)
    }

    async fn call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let humans = self.humans(&context)?;
        if let Some(state) = request.request_state.as_deref() {
            // The retry of a call that asked the client's user (protocol 2026-07-28).
            let sealed = self.state.open(state)?;
            let ids = sealed.ids.clone();
            let responses = request.input_responses.unwrap_or_default();
            let reply = elicit::resumed(&humans, sealed, &responses, &context).await;
            return Ok(settled(&ids, reply));
        }
        let arguments = request.arguments.unwrap_or_default();
        let (loop_type, context_json, timing, conversation) = match request.name.as_ref() {
            tools::APPROVAL => {
                let p: ApprovalParams = parsed!(arguments);
                let mut context_json = prose(&p.question, p.context.as_deref());
                if let Some(name) = &p.function_name {
                    let arguments = Value::Object(p.arguments.clone().unwrap_or_default());
                    context_json.insert(
                        "function".into(),
                        json!({"function_name": name, "arguments": arguments}),
                    );
                }
                (LoopType::Approval, context_json, p.timing, None)
            }
            tools::INFORMATION => {
                let p: InformationParams = parsed!(arguments);
                let context_json = prose(&p.question, p.context.as_deref());
                (LoopType::Information, context_json, p.timing, None)
            }
            tools::START => {
                let p: StartParams = parsed!(arguments);
                (
                    LoopType::Conversation,
                    prose(&p.message, None),
                    p.timing,
                    None,
                )
            }
            tools::CONTINUE => {
                let p: ContinueParams = parsed!(arguments);
                let context_json = prose(&p.message, None);
                (
                    LoopType::Conversation,
                    context_json,
                    p.timing,
                    Some(p.conversation_id),
                )
            }
            _ => {
                return self
                    .follow_up(&humans, request.name.as_ref(), arguments, &context)
                    .await
            }
        };
        self.ask(
            &humans,
            loop_type,
            context_json,
            timing,
            conversation,
            &context,
        )
        .await
    }

    /// The tools about an existing request: check, cancel, and the view's answer.
    async fn follow_up(
        &self,
        humans: &Humans,
        name: &str,
        arguments: Map<String, Value>,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        match name {
            tools::CHECK => {
                let p: CheckParams = parsed!(arguments);
                let ids = Ids::named(p.conversation_id, p.request_id);
                let wait = self.wait(p.wait_seconds);
                Ok(settled(&ids, humans.follow(&ids, wait, &context.ct).await))
            }
            tools::CANCEL => {
                let p: CancelParams = parsed!(arguments);
                let ids = Ids::named(p.conversation_id, p.request_id);
                if let Err(e) = humans.withdraw(&ids).await {
                    return Ok(hub_failed(&e).into());
                }
                Ok(settled(
                    &ids,
                    humans.follow(&ids, Duration::ZERO, &context.ct).await,
                ))
            }
            // Only for a client that renders the view: any other would hand the model a tool
            // that answers its own requests.
            tools::ANSWER if app::supported(context) => {
                let p: AnswerParams = parsed!(arguments);
                let ids = Ids::named(p.conversation_id, p.request_id);
                let answer = match (p.action, p.text.trim().to_owned()) {
                    (ViewAction::Approve, text) => {
                        Answer::Approve((!text.is_empty()).then_some(text))
                    }
                    (_, text) if text.is_empty() => {
                        return Ok(refuse("say why (to reject) or give the answer").into())
                    }
                    (ViewAction::Reject, text) => Answer::Reject(text),
                    (ViewAction::Answer, text) => Answer::Inform(text),
                    (ViewAction::Reply, text) => Answer::Reply {
                        text,
                        complete: false,
                    },
                    (ViewAction::Complete, text) => Answer::Reply {
                        text,
                        complete: true,
                    },
                };
                if let Err(e) = humans.record(&ids, &answer).await {
                    return Ok(hub_failed(&e).into());
                }
                Ok(settled(
                    &ids,
                    humans.follow(&ids, Duration::ZERO, &context.ct).await,
                ))
            }
            other => Err(ErrorData::invalid_params(
                format!("no tool named '{other}' here: see tools/list"),
                None,
            )),
        }
    }

    /// Creates the request, then waits for the first answer (also by elicitation).
    async fn ask(
        &self,
        humans: &Humans,
        loop_type: LoopType,
        context_json: JsonObject,
        timing: Timing,
        conversation_id: Option<String>,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let message = context_json
            .get("question")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let question = Question {
            loop_type,
            context: context_json,
            metadata: timing.metadata.unwrap_or_default(),
            timeout: timing.timeout_seconds,
            conversation_id,
        };
        let ids = match humans.ask(question).await {
            Ok(ids) => ids,
            Err(e) => return Ok(hub_failed(&e).into()),
        };
        let wait = self.wait(timing.wait_seconds);
        let mode = elicit::Mode::of(context, self.options.elicit, wait);
        let tasks = context
            .client_capabilities()
            .is_some_and(|c| c.supports_tasks());
        if mode == elicit::Mode::None && tasks && !wait.is_zero() {
            // The client polls a task instead of holding the call open.
            let now = humans.follow(&ids, Duration::ZERO, &context.ct).await;
            return Ok(match now {
                Ok(reply) if reply.status == gohumanloop::Status::Pending => {
                    CallToolResponse::Task(task::created(&ids))
                }
                other => settled(&ids, other),
            });
        }
        // A client that renders the view but cannot elicit: the view shows the request once the
        // call returns it, so return at once and let `check_request` wait while the user decides.
        let wait = if mode == elicit::Mode::None && app::supported(context) {
            Duration::ZERO
        } else {
            wait
        };
        match elicit::wait(humans, &ids, &message, wait, mode, &self.state, context).await? {
            Waited::Reply(reply) => Ok(settled(&ids, reply)),
            Waited::Ask(input) => Ok(input.into()),
        }
    }
}

impl ServerHandler for AskServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_tasks()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(
                "gohumanloop",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Ask a human before a risky action (request_approval), when you need \
                 information only a person has (request_information), or to talk things \
                 through (start_conversation). A `pending` result means no answer yet: the \
                 request stays open; resume with check_request.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::all(app::supported(
            &context,
        ))))
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let humans = self.humans(&context)?;
        let (ids, created) = task::parse(&request.task_id)?;
        let reply = humans.follow(&ids, Duration::ZERO, &context.ct).await;
        task::state(&request.task_id, &ids, created, reply)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let humans = self.humans(&context)?;
        let (ids, _) = task::parse(&request.task_id)?;
        humans
            .withdraw(&ids)
            .await
            .map_err(|e| ErrorData::internal_error(format!("the hub: {e}"), None))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![app::resource()]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri == app::URI {
            Ok(app::read().into())
        } else {
            Err(ErrorData::resource_not_found(
                format!("no resource '{}' here", request.uri),
                None,
            ))
        }
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.call(request, context).await
    }
}

/// The context the human sees: the question (also as `message`, which the original's clients
/// show) and any detail.
fn prose(question: &str, detail: Option<&str>) -> JsonObject {
    let mut context = JsonObject::new();
    context.insert("question".into(), Value::String(question.to_owned()));
    context.insert("message".into(), Value::String(question.to_owned()));
    if let Some(detail) = detail.filter(|d| !d.trim().is_empty()) {
        context.insert("additional".into(), Value::String(detail.to_owned()));
    }
    context
}

/// The outcome of a status reply, or the hub's failure as a tool error.
pub(crate) fn settled(
    ids: &Ids,
    reply: Result<gohumanloop::model::wire::StatusResponse, HubError>,
) -> CallToolResponse {
    match reply {
        Ok(reply) => Outcome::new(ids, reply).result().into(),
        Err(e) => hub_failed(&e).into(),
    }
}

/// A tool error saying what the hub refused or why it could not be reached.
pub(crate) fn hub_failed(e: &HubError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "The hub could not take this: {e}"
    ))])
}

/// A tool error saying `why`.
fn refuse(why: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(why.to_owned())])
}

/// The arguments as `T`, or a tool error naming what is wrong (unknown fields included, and
/// arguments over [`MAX_ARGUMENT_BYTES`]).
// The error is the call's whole result, returned at most once per tool call: boxing it would
// only move the allocation.
#[allow(clippy::result_large_err)]
pub(crate) fn checked<T: DeserializeOwned + schemars::JsonSchema>(
    arguments: Map<String, Value>,
) -> Result<T, CallToolResult> {
    let refuse = |why: String| CallToolResult::error(vec![ContentBlock::text(why)]);
    let size = serde_json::to_vec(&arguments).map_or(usize::MAX, |b| b.len());
    if size > MAX_ARGUMENT_BYTES {
        return Err(refuse(format!(
            "the arguments are {size} bytes; at most {MAX_ARGUMENT_BYTES} are accepted"
        )));
    }
    let schema = schemars::schema_for!(T);
    if let Some(known) = schema.get("properties").and_then(Value::as_object) {
        if let Some(unknown) = arguments.keys().find(|k| !known.contains_key(*k)) {
            let names: Vec<&str> = known.keys().map(String::as_str).collect();
            return Err(refuse(format!(
                "unknown argument '{unknown}'; the arguments are: {}",
                names.join(", ")
            )));
        }
    }
    serde_json::from_value(Value::Object(arguments))
        .map_err(|e| refuse(format!("invalid arguments: {e}")))
}

/// Whether `arguments` are acceptable to the tool `name`, read as its call reads them (an
/// unknown tool is refused): for [`crate::fuzzing`].
#[allow(clippy::result_large_err)]
pub(crate) fn check_arguments(
    name: &str,
    arguments: Map<String, Value>,
) -> Result<(), CallToolResult> {
    match name {
        tools::APPROVAL => checked::<ApprovalParams>(arguments).map(drop),
        tools::INFORMATION => checked::<InformationParams>(arguments).map(drop),
        tools::START => checked::<StartParams>(arguments).map(drop),
        tools::CONTINUE => checked::<ContinueParams>(arguments).map(drop),
        tools::CHECK => checked::<CheckParams>(arguments).map(drop),
        tools::CANCEL => checked::<CancelParams>(arguments).map(drop),
        tools::ANSWER => checked::<AnswerParams>(arguments).map(drop),
        _ => Err(refuse("no such tool")),
    }
}

#[cfg(test)]
mod defaults {
    use super::*;

    /// The README's figures: a call waits up to 50 s, `wait_seconds` may ask for up to 10
    /// minutes, elicitation on. `ghl mcp` takes these when no flag sets them.
    #[test]
    fn the_options_default_to_the_documented_figures() {
        let options = AskOptions::default();
        assert_eq!(options.wait, Duration::from_secs(50));
        assert_eq!(options.max_wait, Duration::from_secs(600));
        assert!(options.elicit);
    }
}
