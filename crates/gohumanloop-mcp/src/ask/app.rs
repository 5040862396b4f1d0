//! The MCP Apps view (extension `io.modelcontextprotocol/ui`): for clients that render apps
//! but cannot elicit (Claude Desktop, claude.ai, ChatGPT), the asking tools point at a `ui://`
//! HTML view that shows the request and lets the user decide inline. The view decides through
//! `answer_request`, a tool only the app may call (`visibility: ["app"]`), which this server
//! lists and accepts only for clients that declared the extension — so a model on a client
//! without MCP Apps never sees a tool that could answer its own requests.

use rmcp::model::{ClientCapabilities, MetaObject, ReadResourceResult, Resource, ResourceContents};
use rmcp::service::RequestContext;
use rmcp::RoleServer;
use serde_json::json;

/// The view's URI.
pub(crate) const URI: &str = "ui://gohumanloop/decide.html";
/// The MIME type MCP Apps renders.
pub(crate) const MIME: &str = "text/html;profile=mcp-app";
/// The extension's identifier.
const EXTENSION: &str = "io.modelcontextprotocol/ui";

/// The view: plain HTML and script, no outside resources (the default, strictest CSP).
const HTML: &str = include_str!("decide.html");

/// Whether this call's client renders MCP Apps.
pub(crate) fn supported(context: &RequestContext<RoleServer>) -> bool {
    context.client_capabilities().is_some_and(|c| renders(&c))
}

/// Whether capabilities declare MCP Apps with HTML views.
pub(crate) fn renders(capabilities: &ClientCapabilities) -> bool {
    capabilities
        .extensions
        .as_ref()
        .and_then(|e| e.get(EXTENSION))
        .and_then(|settings| settings.get("mimeTypes"))
        .and_then(|types| types.as_array())
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(MIME)))
}

/// `_meta` of a tool whose results the view shows.
pub(crate) fn shown_by_view() -> MetaObject {
    meta(json!({"ui": {"resourceUri": URI}}))
}

/// `_meta` of a tool only the view may call.
pub(crate) fn app_only() -> MetaObject {
    meta(json!({"ui": {"resourceUri": URI, "visibility": ["app"]}}))
}

fn meta(value: serde_json::Value) -> MetaObject {
    match value {
        serde_json::Value::Object(map) => MetaObject(map),
        _ => MetaObject::default(),
    }
}

/// The view as `resources/list` shows it.
pub(crate) fn resource() -> Resource {
    Resource::new(URI, "decide")
        .with_title("Decide on a request")
        .with_description("Shows a request for a human and lets the user answer it inline.")
        .with_mime_type(MIME)
}

/// The view's HTML (`resources/read`).
pub(crate) fn read() -> ReadResourceResult {
    let ui = json!({"ui": {"prefersBorder": true}});
    ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
        uri: URI.into(),
        mime_type: Some(MIME.into()),
        text: HTML.into(),
        meta: Some(meta(ui)),
    }])
}
