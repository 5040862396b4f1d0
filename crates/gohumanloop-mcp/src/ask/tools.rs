//! The ask-a-human tools as MCP lists them: names, descriptions, input and output schemas,
//! annotations.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;

use super::app;
use super::params::{
    AnswerParams, ApprovalParams, CancelParams, CheckParams, ContinueParams, InformationParams,
    StartParams,
};
use crate::outcome::Outcome;

/// `request_approval`.
pub(crate) const APPROVAL: &str = "request_approval";
/// `request_information`.
pub(crate) const INFORMATION: &str = "request_information";
/// `start_conversation`.
pub(crate) const START: &str = "start_conversation";
/// `continue_conversation`.
pub(crate) const CONTINUE: &str = "continue_conversation";
/// `check_request`.
pub(crate) const CHECK: &str = "check_request";
/// `cancel_request`.
pub(crate) const CANCEL: &str = "cancel_request";
/// `answer_request`: the MCP Apps view's own tool.
pub(crate) const ANSWER: &str = "answer_request";

/// Every tool, in the order clients list them; `apps`: the client renders MCP Apps (the asking
/// tools then point at the view, and the view's own tool is listed).
pub(crate) fn all(apps: bool) -> Vec<Tool> {
    let mut tools = asking();
    if apps {
        for tool in tools.iter_mut().filter(|t| t.name != CANCEL) {
            tool.meta = Some(app::shown_by_view());
        }
        tools.push(
            tool::<AnswerParams>(
                ANSWER,
                "Records the user's decision from the approval view (callable by the view only).",
                ToolAnnotations::new()
                    .read_only(false)
                    .destructive(false)
                    .open_world(true),
            )
            .with_meta(app::app_only()),
        );
    }
    tools
}

fn asking() -> Vec<Tool> {
    let asking = || {
        ToolAnnotations::new()
            .read_only(false)
            .destructive(false)
            .open_world(true)
    };
    vec![
        tool::<ApprovalParams>(
            APPROVAL,
            "Ask a human to approve an action before you take it (a payment, a deletion, a \
             deployment, a message sent in someone's name). Give the question and, if the action \
             is a function call, its name and arguments. Waits for the answer; if there is none \
             yet it returns status `pending` and the request stays open: resume with \
             `check_request`. If approved with edited `arguments`, use those.",
            asking(),
        ),
        tool::<InformationParams>(
            INFORMATION,
            "Ask a human for information you cannot find yourself (a decision, a missing \
             detail, a credential-free instruction). Waits for the answer (`completed`, in \
             `answer`); if there is none yet it returns `pending`: resume with `check_request`.",
            asking(),
        ),
        tool::<StartParams>(
            START,
            "Start a conversation with a human. Returns their reply (`inprogress`: the \
             conversation goes on; `completed`: they ended it) and the `conversation_id` for \
             `continue_conversation`.",
            asking(),
        ),
        tool::<ContinueParams>(
            CONTINUE,
            "Send the next message of a conversation started with `start_conversation` and wait \
             for the human's reply.",
            asking(),
        ),
        tool::<CheckParams>(
            CHECK,
            "Where a request stands, waiting up to `wait_seconds` for an answer. Use it to resume \
             a `pending` result, also after a reconnect or a restart: the request lives in the \
             hub, not in this session.",
            ToolAnnotations::new().read_only(true).open_world(true),
        ),
        tool::<CancelParams>(
            CANCEL,
            "Withdraw a request you no longer need (it becomes `cancelled` unless a human \
             answered first; the result says which).",
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(true)
                .open_world(true),
        ),
    ]
}

fn tool<T: JsonSchema + 'static>(
    name: &'static str,
    description: &'static str,
    annotations: ToolAnnotations,
) -> Tool {
    Tool::new(name, description, Arc::new(JsonObject::new()))
        .with_input_schema::<T>()
        .with_output_schema::<Outcome>()
        .with_annotations(annotations)
}
