//! The MCP Apps view (`ui://gohumanloop/decide.html`) for clients that render apps but cannot
//! elicit: real headless Chromium plays the host — the view runs in a sandboxed iframe and
//! speaks MCP Apps' JSON-RPC over postMessage; this test relays its `tools/call` to `ghl mcp`
//! over rmcp, as Claude Desktop relays to a server. The user clicks Approve in the view.

mod common;
mod mcp;

use std::time::Duration;

use common::browser::{self, Driver};
use common::HubProcess;
use mcp::{call, structured, Client, User};
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams, ResourceContents};
use serde_json::json;

/// The host page: an iframe with the view; answers `ui/initialize`, then hands the view the
/// tool's input and result; queues every other message for the test in `__fromView`.
const HOST: &str = r#"
const [html, toolInput, toolResult] = arguments;
document.body.innerHTML = "";
const frame = document.createElement("iframe");
frame.setAttribute("sandbox", "allow-scripts");
frame.style.cssText = "width:640px;height:460px;border:1px solid #999";
window.__fromView = [];
window.__toView = (m) => frame.contentWindow.postMessage(m, "*");
window.addEventListener("message", (e) => {
  if (e.source !== frame.contentWindow) return;
  const m = e.data;
  if (m.method === "ui/initialize") {
    __toView({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: "2026-01-26",
      hostCapabilities: { serverTools: {} }, hostInfo: { name: "ghl-test-host", version: "1" },
      hostContext: { theme: "light", displayMode: "inline" } } });
  } else if (m.method === "ui/notifications/initialized") {
    __toView({ jsonrpc: "2.0", method: "ui/notifications/tool-input", params: { arguments: toolInput } });
    __toView({ jsonrpc: "2.0", method: "ui/notifications/tool-result", params: toolResult });
  } else {
    window.__fromView.push(m);
  }
});
frame.srcdoc = html;
document.body.appendChild(frame);
"#;

#[tokio::test]
async fn a_user_without_elicitation_approves_inline_in_the_mcp_apps_view() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let session = mcp::stdio(&hub.base, &key, &[], Client::rendering_apps()).await;

    let tools = session.list_all_tools().await.unwrap();
    let approval = tools.iter().find(|t| t.name == "request_approval").unwrap();
    let meta = serde_json::to_value(&approval.meta).unwrap();
    assert_eq!(meta["ui"]["resourceUri"], "ui://gohumanloop/decide.html");
    let answer = tools
        .iter()
        .find(|t| t.name == "answer_request")
        .expect("the view's tool");
    assert_eq!(
        serde_json::to_value(&answer.meta).unwrap()["ui"]["visibility"],
        json!(["app"])
    );
    let read = session
        .read_resource(ReadResourceRequestParams::new(
            "ui://gohumanloop/decide.html",
        ))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents {
        mime_type,
        text: html,
        ..
    } = &read.contents[0]
    else {
        panic!("the view is text")
    };
    assert_eq!(mime_type.as_deref(), Some("text/html;profile=mcp-app"));

    // With the default 50 s wait, the call still returns at once: the view needs the ids.
    let input = json!({
        "question": "Transfer 1,200 EUR to <b>ACME</b>?",
        "function_name": "transfer",
        "arguments": {"to": "ACME", "amount": 1200}
    });
    let asked = call(&session, "request_approval", input.clone()).await;
    let outcome = structured(&asked);
    assert_eq!(outcome["status"], "pending");
    let result = serde_json::to_value(&asked).unwrap();

    let browser = driver.session(700, 520).await;
    browser.goto("about:blank").await.unwrap();
    browser
        .execute(HOST, vec![json!(html), input, result])
        .await
        .unwrap();
    browser.enter_frame(0).await.unwrap();
    let question = browser::wait_for(&browser, "#approve:not([hidden])").await;
    drop(question);
    // Shown as text, never as markup.
    assert_eq!(
        browser::text(&browser, "#question").await,
        "Transfer 1,200 EUR to <b>ACME</b>?"
    );
    assert!(browser::text(&browser, "#details")
        .await
        .contains("\"amount\": 1200"));
    browser::screenshot(&browser, "mcp-app-pending").await;
    browser::fill(&browser, "#text", "invoice checked").await;
    browser::click(&browser, "#approve").await;
    browser.enter_parent_frame().await.unwrap();

    // Relay the view's messages to the server, as a host does, until the view tells the model
    // (bounded by a deadline a loaded machine never reaches).
    let mut told_model = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let batch = browser
            .execute("return window.__fromView.splice(0);", vec![])
            .await
            .unwrap();
        for message in batch.as_array().cloned().unwrap_or_default() {
            match message["method"].as_str() {
                Some("tools/call") => {
                    let params = &message["params"];
                    assert_eq!(params["name"], "answer_request");
                    let arguments = params["arguments"].as_object().unwrap().clone();
                    let reply = session
                        .call_tool(
                            CallToolRequestParams::new("answer_request").with_arguments(arguments),
                        )
                        .await
                        .unwrap();
                    let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": reply});
                    browser
                        .execute("window.__toView(arguments[0]);", vec![reply])
                        .await
                        .unwrap();
                }
                Some("ui/message") => {
                    told_model = Some(message["params"]["content"][0]["text"].clone());
                    let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": {}});
                    browser
                        .execute("window.__toView(arguments[0]);", vec![reply])
                        .await
                        .unwrap();
                }
                _ => {}
            }
        }
        if told_model.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let told = told_model.expect("the view tells the model");
    assert!(
        told.as_str()
            .unwrap()
            .starts_with("In the approval view: Approved by agent: invoice checked"),
        "{told}"
    );
    browser.enter_frame(0).await.unwrap();
    browser::wait_until(
        &browser,
        "return document.getElementById('status').dataset.status === 'approved';",
    )
    .await;
    browser::screenshot(&browser, "mcp-app-approved").await;
    browser.close().await.unwrap();

    let settled = structured(
        &call(&session, "check_request", json!({"conversation_id": outcome["conversation_id"], "request_id": outcome["request_id"]})).await,
    );
    assert_eq!(
        (settled["status"].as_str(), settled["answer"].as_str()),
        (Some("approved"), Some("invoice checked"))
    );
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn a_client_without_mcp_apps_never_sees_or_reaches_the_views_tool() {
    let hub = HubProcess::start();
    let key = hub.key("default", "agent");
    let session = mcp::stdio(&hub.base, &key, &[], Client::new(User::Absent)).await;
    let tools = session.list_all_tools().await.unwrap();
    assert!(tools
        .iter()
        .all(|t| t.name != "answer_request" && t.meta.is_none()));
    let pending = structured(
        &call(
            &session,
            "request_approval",
            json!({"question": "Self-approve?", "wait_seconds": 0}),
        )
        .await,
    );
    let arguments = json!({"conversation_id": pending["conversation_id"], "request_id": pending["request_id"], "action": "approve"});
    let refused = session
        .call_tool(
            CallToolRequestParams::new("answer_request")
                .with_arguments(arguments.as_object().unwrap().clone()),
        )
        .await;
    assert!(
        refused.is_err(),
        "a model reached the view's tool: {refused:?}"
    );
    let still = structured(&call(&session, "check_request", json!({"conversation_id": pending["conversation_id"], "request_id": pending["request_id"], "wait_seconds": 0})).await);
    assert_eq!(still["status"], "pending");
    session.cancel().await.unwrap();
}
