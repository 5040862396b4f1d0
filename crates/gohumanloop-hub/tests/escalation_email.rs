//! Escalation by mail, against a real mail server (Postfix + Dovecot on loopback): when the
//! plan's escalation step is reached (the hub's test clock moved — its own process, so no other
//! test's clock moves), the person it adds, named by their address, is mailed the request with
//! links of their own, and their link decides it. Before the step nobody else is mailed.

mod common;

use std::time::Duration;

use common::TestHub;
use gohumanloop::providers::email::{Login, Security, ServerSettings};
use gohumanloop_hub::channels::email::EmailChannelConfig;
use gohumanloop_hub::policy::Policy;
use gohumanloop_testkit::mail::{open, MailServer, Received};
use reqwest::StatusCode;
use serde_json::json;

fn policy(approver: &str, oncall: &str) -> Policy {
    let text = format!(
        r#"
[policy.groups]
oncall = ["{oncall}"]

[[policy.rule]]
name = "deploys"
when.platform = "test"
when.loop_type = "approval"
approvers = ["{approver}"]
escalate = [{{ after = "10m", to = ["oncall"] }}]
"#
    );
    let file: toml::Value = toml::from_str(&text).unwrap();
    Policy::from_toml(&file["policy"]).unwrap()
}

/// The link of a mail whose label starts with `label`.
fn link(mail: &Received, label: &str) -> String {
    mail.text
        .lines()
        .filter_map(|l| l.split_once(": http"))
        .find(|(l, rest)| l.trim().starts_with(label) && rest.contains("/email/"))
        .map(|(_, rest)| format!("http{rest}"))
        .unwrap_or_else(|| panic!("no {label} link in {}", mail.text))
}

#[tokio::test]
async fn the_escalated_person_is_mailed_when_the_step_is_reached_and_decides_by_their_link() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let approver = server.address("approver");
    let oncall = server.address("oncall");
    let (hub_address, settings) = (server.address("hub"), server.clone());
    let (hub, _channel) = TestHub::start_with_email_and_policy(
        move |base| {
            let smtp = ServerSettings::new(&settings.host, settings.smtp_port)
                .security(Security::StartTls);
            let mut config = EmailChannelConfig::new(smtp, hub_address.clone(), base);
            config.login = Some(Login {
                username: hub_address,
                password: settings.password.clone(),
            });
            config.extra_ca_pem = Some(settings.ca_pem.clone());
            config.link_ttl = Duration::from_secs(3600);
            config
        },
        policy(&approver, &oncall),
    )
    .await;
    let body = json!({
        "task_id": "deploy-42", "conversation_id": "c-r1", "request_id": "r1",
        "loop_type": "approval", "platform": "test",
        "context": {"message": "Ship release 2.3 to production", "question": "May I deploy?"},
        "metadata": {"recipient_email": approver},
    });
    let (status, reply) = hub
        .post(&hub.keys.agent, "/api/v1/humanloop/request", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    server.wait_for(&approver, 1).await;
    assert!(
        server.messages(&oncall).await.is_empty(),
        "on call is not mailed before the step"
    );

    hub.hub.advance_clock(601_000);
    let mail = open(&server.wait_for(&oncall, 1).await[0]);
    assert!(mail.text.contains("May I deploy?"), "{}", mail.text);
    let approve = link(&mail, "Approve");
    let no_fields: [(&str, &str); 0] = [];
    let response = hub.http.post(&approve).form(&no_fields).send().await;
    let response = response.unwrap();
    let code = response.status();
    assert_eq!(code, StatusCode::OK, "{}", response.text().await.unwrap());
    let (_, status) = hub.status(&hub.keys.agent, "c-r1", "r1", "").await;
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["responded_by"], json!(oncall));
    assert_eq!(
        server.messages(&approver).await.len(),
        1,
        "the first approver is not mailed again"
    );
    hub.stop().await;
}
