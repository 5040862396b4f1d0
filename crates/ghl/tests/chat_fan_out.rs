//! One request fanned out to Slack, Feishu, WeCom and email through `ghl serve`, against the
//! local fakes and the real test mail server: clicks on two platforms at the same moment give
//! one decision and the loser is told who won; every other card is brought to the final state;
//! the mailed link shows the decision; and at `--log-level debug` no secret of any channel
//! reaches the log. Prints how long the other cards took to update.

mod chat;
mod common;

use std::time::Instant;

use chat::{feishu, now, slack, wecom};
use common::HubProcess;
use gohumanloop_testkit::mail::{open, MailServer};
use serde_json::{json, Value};

/// Bob, a second approver.
const BOB: &str = "\n[[approver]]\nname = \"bob\"\nslack = \"U2\"\nfeishu = \"ou_bob\"\n";

#[tokio::test]
async fn one_request_on_four_channels_is_decided_once_and_shown_everywhere() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let (slack_api, feishu_api, wecom_api) = (
        slack::start().await,
        feishu::start().await,
        wecom::start().await,
    );
    let mut hub = HubProcess::unstarted();
    let tables = [
        chat::ALICE.into(),
        BOB.into(),
        slack::table(&slack_api, &["C1"], &[]),
        feishu::table(&feishu_api, &["oc_ops"], &[]),
        wecom::table(&wecom_api, &["zhangsan"], &[]),
    ];
    let file = chat::write_config(hub.path(), &tables);
    let ca = hub.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let (smtp, username) = (
        format!("{}:{}", server.host, server.smtp_port),
        server.address("hub"),
    );
    hub.set_extra(
        &[
            "--config",
            &file,
            "--email-smtp",
            &smtp,
            "--email-smtp-security",
            "starttls",
            "--email-username",
            &username,
            "--email-ca",
            &ca.display().to_string(),
        ],
        &[("GHL_EMAIL_PASSWORD", &server.password)],
    );
    hub.keep_log("debug");
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");
    let approver = server.address("fanout");
    let context = json!({"question": "Deploy v2?"});
    chat::create(
        &hub,
        &key,
        "r1",
        "approval",
        context,
        json!({"recipient_email": approver}),
    )
    .await;
    slack_api
        .until("the Slack card", |c| {
            c.iter().any(|c| c.path == "/api/chat.postMessage")
        })
        .await;
    feishu_api
        .until("the Feishu card", |c| {
            c.iter().any(|c| c.path == "/open-apis/im/v1/messages")
        })
        .await;
    wecom_api
        .until("the WeCom card", |c| {
            c.iter().any(|c| c.path == "/cgi-bin/message/send")
        })
        .await;
    let mail = open(&server.wait_for(&approver, 1).await[0]);
    let got = common::get_json(&format!("{}/api/v1/requests/r1", hub.base), &key).await;
    let id = got["request"]["id"].as_str().unwrap().to_owned();

    // Alice approves in Slack while Bob rejects in Feishu, at the same moment.
    let started = Instant::now();
    let slack_click = slack::click("approve", &id, "U1", "C1", "1700000000.000001");
    let feishu_click = feishu::click(&id, "reject", "ou_bob", "not today");
    let (slack_answer, (feishu_code, feishu_answer)) = tokio::join!(
        slack::interact(&hub.base, &slack_click, now()),
        feishu::post(&hub.base, &feishu_click, now(), true)
    );
    assert_eq!((slack_answer.0, feishu_code), (200, 200));
    let status = chat::status(&hub, &key, "c1", "r1", 0).await;
    let won = status["status"].as_str().unwrap().to_owned();
    assert!(won == "approved" || won == "rejected", "{status}");
    let audit = common::get_json(&format!("{}/api/v1/requests/r1/audit", hub.base), &key).await;
    let decisions: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["new_status"] == "approved" || e["new_status"] == "rejected")
        .collect();
    assert_eq!(decisions.len(), 1, "exactly one decision: {audit}");
    if won == "approved" {
        // Bob lost in Feishu: the toast names the winner, the card shows the final state.
        assert_eq!(status["responded_by"], "alice");
        assert!(
            feishu_answer["toast"]["content"]
                .as_str()
                .unwrap()
                .starts_with("Already approved by alice"),
            "{feishu_answer}"
        );
        assert!(feishu_answer["card"]["data"]
            .to_string()
            .contains("Approved by Alice Chen"));
    } else {
        // Alice lost in Slack: an ephemeral notice names the winner.
        assert_eq!(status["responded_by"], "bob");
        assert_eq!(feishu_answer["toast"]["type"], "success");
        let notices = slack_api
            .until("Alice told who won", |c| {
                c.iter().any(|c| c.path == "/api/chat.postEphemeral")
            })
            .await;
        let notice = notices
            .iter()
            .find(|c| c.path == "/api/chat.postEphemeral")
            .unwrap();
        assert!(
            notice.json["text"]
                .as_str()
                .unwrap()
                .starts_with("Already rejected by bob"),
            "{}",
            notice.json
        );
    }
    let word = if won == "approved" {
        "Approved by"
    } else {
        "Rejected by"
    };

    // Every card is brought to the final state.
    slack_api
        .until("the Slack card updated", |c| {
            c.iter()
                .any(|c| c.path == "/api/chat.update" && slack::text_of(&c.json).contains(word))
        })
        .await;
    feishu_api
        .until("the Feishu card patched", |c| {
            c.iter()
                .any(|c| c.method == "PATCH" && feishu::card_of(c).to_string().contains(word))
        })
        .await;
    wecom_api
        .until("the WeCom card closed", |c| {
            c.iter()
                .any(|c| c.path == "/cgi-bin/message/update_template_card")
        })
        .await;
    println!("clicks → every other card updated: {:?}", started.elapsed());

    // The mailed link now shows the decision instead of asking for one.
    let link = mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Approve: "))
        .expect("an approve link")
        .to_owned();
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(page.contains(&won), "{page}");

    // "Secrets are never printed or logged, not even at `debug`" (README; hub.md): every
    // channel's secrets, the tokens the platforms issued, the agent's key and the mailed link
    // (it decides the request) are nowhere in what the hub logged while it did all of the above.
    // Checked by logging the Slack bot token at debug in `channels::slack` (fails on it).
    hub.kill();
    let log = hub.log();
    assert!(log.contains("DEBUG"), "the hub logged at debug:\n{log}");
    for (what, secret) in [
        ("the mail password", server.password.as_str()),
        ("Slack's bot token", slack::BOT_TOKEN),
        ("Slack's signing secret", slack::SIGNING_SECRET),
        ("Feishu's app secret", feishu::APP_SECRET),
        ("Feishu's encrypt key", feishu::ENCRYPT_KEY),
        ("Feishu's verification token", feishu::VERIFICATION_TOKEN),
        ("Feishu's tenant_access_token", feishu::TOKEN),
        ("WeCom's secret", wecom::SECRET),
        ("WeCom's callback token", wecom::TOKEN),
        ("WeCom's EncodingAESKey", wecom::AES_KEY),
        ("WeCom's access_token", wecom::ACCESS_TOKEN),
        ("the agent's key", key.as_str()),
        ("the mailed link", link.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the log");
    }
}
