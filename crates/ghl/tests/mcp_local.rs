//! `ghl mcp` with no hub: it runs a hub of its own (SQLite in its data folder, the web inbox on
//! a local port), creates its key and an inbox account, and keeps both across restarts.

mod common;
mod mcp;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mcp::{call, structured, Client, User};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// `ghl mcp --data-dir DIR --inbox-addr 127.0.0.1:0`; the session and the inbox's base URL.
async fn local(dir: &Path) -> (RunningService<RoleClient, Client>, String) {
    let mut command = tokio::process::Command::new(common::GHL);
    command
        .args([
            "mcp",
            "--data-dir",
            dir.to_str().unwrap(),
            "--inbox-addr",
            "127.0.0.1:0",
        ])
        .env_remove("GHL_HUB")
        .env_remove("GHL_API_KEY");
    let (transport, stderr) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ghl mcp starts");
    let mut lines = BufReader::new(stderr.expect("stderr")).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("ghl mcp names its inbox");
        if let Some(rest) = line.split("answer requests at ").nth(1) {
            break rest.trim_end_matches("/inbox").to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let session = Client::new(User::Absent)
        .serve(transport)
        .await
        .expect("a session");
    (session, base)
}

fn private(path: &Path) -> String {
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is readable by others", path.display());
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn without_a_hub_ghl_mcp_runs_its_own_and_keeps_it_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (session, _) = local(dir.path()).await;
    let asked = structured(
        &call(
            &session,
            "request_information",
            json!({"question": "Release name?", "wait_seconds": 0}),
        )
        .await,
    );
    assert_eq!(asked["status"], "pending");
    session.cancel().await.unwrap();

    let key = private(&dir.path().join("mcp.key"));
    let note = private(&dir.path().join("mcp-inbox.txt"));
    let password = note
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert!(note.contains("account: me"));

    // The account signs in to the inbox (a redirect, not the form again).
    let (session, base2) = local(dir.path()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http.get(format!("{base2}/login")).send().await.unwrap();
    let cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = form.text().await.unwrap();
    let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[start..].split('"').next().unwrap().to_owned();
    let signed_in = http
        .post(format!("{base2}/login"))
        .header("cookie", cookie)
        .form(&[("name", "me"), ("password", &password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    // Same key after the restart; the earlier request is still there and can be answered.
    assert_eq!(private(&dir.path().join("mcp.key")), key);
    let answered = common::post_json(
        &format!(
            "{base2}/api/v1/requests/{}/answer",
            asked["request_id"].as_str().unwrap()
        ),
        &key,
        &json!({"text": "Aurora"}),
    )
    .await;
    assert_eq!(answered["success"], true, "{answered}");
    let resumed = structured(
        &call(
            &session,
            "check_request",
            json!({"conversation_id": asked["conversation_id"], "request_id": asked["request_id"]}),
        )
        .await,
    );
    assert_eq!(
        (resumed["status"].as_str(), resumed["answer"].as_str()),
        (Some("completed"), Some("Aurora"))
    );
    session.cancel().await.unwrap();
}
