//! `ghl serve --email-*` as an operator runs it, against the real test mail server: a request
//! is mailed, its signed link answers it, and a reply by mail answers another; settings that
//! cannot work stop the hub with a clear message.

mod common;
#[path = "../../gohumanloop/tests/support/mail.rs"]
mod mail;

use std::time::Duration;

use common::{get_json, ghl, post_json, HubProcess};
use mail::{open, reply, MailServer};
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
    for _ in 0..150 {
        let status = get_json(&url, key).await;
        if status["status"] != "pending" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{rid} was never answered");
}

#[tokio::test]
async fn the_hub_mails_requests_and_takes_links_and_replies() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let hub_address = server.address("hub");
    let approver = server.address("approver");
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
    let hub = HubProcess::start_with(
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
    );
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

#[test]
fn settings_that_cannot_work_stop_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ghl.db").display());
    let out = ghl(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            &db,
            "--email-smtp",
            "127.0.0.1:1",
            "--email-username",
            "a@b.test",
        ],
        &[
            ("GHL_EMAIL_PASSWORD", ""),
            ("GOHUMANLOOP_EMAIL_PASSWORD", ""),
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GHL_EMAIL_PASSWORD"), "{err}");
    let out = ghl(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            &db,
            "--email-smtp",
            "nowhere",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOST:PORT"));
}
