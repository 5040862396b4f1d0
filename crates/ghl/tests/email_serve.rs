//! `ghl serve --email-*` as an operator runs it, against the real test mail server: a request
//! is mailed, its signed link answers it, and a reply by mail answers another; an approver
//! rejects through a mailed link in real headless Chromium; settings that cannot work stop the
//! hub with a clear message.

mod common;

use std::time::Duration;

use common::browser::{click, fill, screenshot, text, wait_for, Driver};
use common::{get_json, ghl, post_json, HubProcess};
use fantoccini::Locator;
use gohumanloop_testkit::mail::{open, reply, MailServer};
use serde_json::json;

fn create(rid: &str, to: &str) -> serde_json::Value {
    json!({
        "task_id": "t1", "conversation_id": format!("c-{rid}"), "request_id": rid,
        "loop_type": "approval", "context": {"message": "Restart the database?"},
        "platform": "GoHumanLoop", "metadata": {"recipient_email": to},
    })
}

async fn wait_answered(hub: &HubProcess, key: &str, rid: &str) -> serde_json::Value {
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id=c-{rid}&request_id={rid}&platform=GoHumanLoop",
        hub.base
    );
    let what = format!("{rid} to be answered");
    gohumanloop_testkit::until(&what, Duration::from_secs(60), || async {
        let status = get_json(&url, key).await;
        (status["status"] != "pending").then_some(status)
    })
    .await
}

/// `ghl serve` with its email channel on the test mail server (Chinese mails, IMAPS replies).
fn start_hub(server: &MailServer) -> HubProcess {
    let hub_address = server.address("hub");
    let ca = std::env::var("GHL_TEST_MAIL_CA").unwrap_or_default();
    let ca_path = if ca.is_empty() {
        let path = std::env::temp_dir().join(format!("ghl-test-ca-{}.pem", std::process::id()));
        std::fs::write(&path, &server.ca_pem).unwrap();
        path.display().to_string()
    } else {
        ca
    };
    let smtp = format!("{}:{}", server.host, server.smtp_port);
    let imap = format!("{}:{}", server.host, server.imaps_port);
    HubProcess::start_with(
        &[
            "--email-smtp",
            &smtp,
            "--email-smtp-security",
            "starttls",
            "--email-imap",
            &imap,
            "--email-username",
            &hub_address,
            "--email-ca",
            &ca_path,
            "--email-language",
            "zh",
        ],
        &[("GHL_EMAIL_PASSWORD", &server.password)],
    )
}

#[tokio::test]
async fn the_hub_mails_requests_and_takes_links_and_replies() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let approver = server.address("approver");
    let hub = start_hub(&server);
    let key = hub.key("acme", "agent");
    let created = post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &create("r1", &approver),
    )
    .await;
    assert_eq!(created["success"], true, "{created}");

    // The mail, in Chinese, with links to this very hub.
    let mail = open(&server.wait_for(&approver, 1).await[0]);
    assert!(
        mail.text
            .contains("决定：[批准/同意/approve|拒绝/否决/reject]"),
        "{}",
        mail.text
    );
    let approve = mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix("批准: "))
        .expect("an approve link")
        .to_owned();
    assert!(
        approve.starts_with(&format!("{}/email/", hub.base)),
        "{approve}"
    );
    let page = reqwest::Client::new()
        .post(&approve)
        .form(&[("text", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let status = wait_answered(&hub, &key, "r1").await;
    assert_eq!(
        (status["status"].clone(), status["responded_by"].clone()),
        (json!("approved"), json!(approver))
    );

    // A second request, answered by a reply in the mail thread.
    post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &create("r2", &approver),
    )
    .await;
    let second = open(&server.wait_for(&approver, 2).await[1]);
    server
        .send(
            &approver,
            reply(&second, &approver, "决定：拒绝\n理由：业务高峰期"),
        )
        .await;
    let status = wait_answered(&hub, &key, "r2").await;
    assert_eq!(status["status"], "rejected");
    assert_eq!(status["response"]["reason"], "业务高峰期");
}

#[tokio::test]
async fn an_approver_rejects_through_a_mailed_link_in_the_browser() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let Some(driver) = Driver::start() else {
        return;
    };
    let approver = server.address("approver");
    let hub = start_hub(&server);
    let key = hub.key("acme", "agent");
    let mut body = create("r3", &approver);
    body["context"]["question"] = json!("May I restart the <b>database</b>?");
    body["context"]["function"] = json!({"name": "restart", "arguments": {"db": "orders"}});
    post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &body,
    )
    .await;
    let mail = open(&server.wait_for(&approver, 1).await[0]);
    let reject = mail
        .text
        .lines()
        .find_map(|l| {
            l.split_once(": ")
                .filter(|(label, _)| label.starts_with("拒绝"))
        })
        .map(|(_, url)| url.to_owned())
        .expect("a reject link");

    let client = driver.session(900, 1000).await;
    client.goto(&reject).await.unwrap();
    wait_for(&client, "#link-form").await;
    // The request as the inbox shows it; markup in it is text.
    let shown = text(&client, "#link-request").await;
    assert!(
        shown.contains("May I restart the <b>database</b>?"),
        "{shown}"
    );
    assert!(shown.contains("\"db\": \"orders\""), "{shown}");
    // A rejection needs a reason: the browser refuses to send it empty.
    client
        .find(Locator::Css("#link-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let missing = client
        .execute(
            "return document.getElementById('link-text').validity.valueMissing",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(missing, json!(true));
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id=c-r3&request_id=r3&platform=GoHumanLoop",
        hub.base
    );
    assert_eq!(get_json(&url, &key).await["status"], "pending");
    fill(&client, "#link-text", "orders are being migrated").await;
    screenshot(&client, "email-link-reject").await;
    click(&client, "#link-submit").await;
    wait_for(&client, "#link-notice").await;
    let notice = text(&client, "#link-notice").await;
    assert!(
        notice.contains("rejected") || notice.contains("已记录"),
        "{notice}"
    );
    let status = wait_answered(&hub, &key, "r3").await;
    assert_eq!(status["status"], "rejected");
    assert_eq!(status["response"]["reason"], "orders are being migrated");
    // The same link again: refused, with a page that says why.
    client.goto(&reject).await.unwrap();
    wait_for(&client, "#link-notice").await;
    let refused = text(&client, "#link-notice").await;
    assert!(
        refused.contains("already been used") || refused.contains("已被使用"),
        "{refused}"
    );
    screenshot(&client, "email-link-used").await;
    client.close().await.unwrap();
}

/// `ghl serve` on a fresh database with `extra` arguments, expected to stop at once.
fn serve_refused(extra: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ghl.db").display());
    let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--db", &db];
    args.extend_from_slice(extra);
    let out = ghl(&args, envs);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn settings_that_cannot_work_stop_the_hub() {
    let no_password = [
        ("GHL_EMAIL_PASSWORD", ""),
        ("GOHUMANLOOP_EMAIL_PASSWORD", ""),
    ];
    let (code, err) = serve_refused(
        &[
            "--email-smtp",
            "127.0.0.1:1",
            "--email-username",
            "a@b.test",
        ],
        &no_password,
    );
    assert_eq!(code, Some(3));
    assert!(err.contains("GHL_EMAIL_PASSWORD"), "{err}");
    let (code, err) = serve_refused(&["--email-smtp", "nowhere"], &[]);
    assert_eq!(code, Some(3));
    assert!(err.contains("HOST:PORT"), "{err}");
}
