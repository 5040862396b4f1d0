//! One request fanned out to Slack, Feishu, WeCom and email through `ghl serve`, against the
//! local fakes and the real test mail server: clicks on two platforms at the same moment give
//! one decision and the loser is told who won; every other card is brought to the final state;
//! the mailed link shows the decision. Prints how long the other cards took to update.

mod chat;
mod common;
#[path = "../../gohumanloop/tests/support/mail.rs"]
mod mail;

use std::time::Instant;

use chat::fake::Fake;
use chat::{feishu, slack, wecom};
use common::HubProcess;
use gohumanloop_hub::channels::feishu::crypto::{encrypt, event_signature};
use gohumanloop_hub::channels::slack::signature::sign;
use mail::{open, MailServer};
use serde_json::{json, Value};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn config(dir: &std::path::Path, slack: &Fake, feishu: &Fake, wecom: &Fake) -> String {
    let path = dir.join("ghl.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[approver]]
name = "alice"
display_name = "Alice Chen"
slack = "U1"
feishu = "ou_alice"
wecom = "zhangsan"

[[approver]]
name = "bob"
slack = "U2"
feishu = "ou_bob"

[[slack]]
name = "ops"
bot_token = "{}"
signing_secret = "{}"
api_base = "{}/api"
[[slack.route]]
to = ["C1"]

[[feishu]]
name = "cn"
app_id = "{}"
app_secret = "{}"
encrypt_key = "{}"
verification_token = "{}"
base_url = "{}"
[[feishu.route]]
to = ["oc_ops"]

[[wecom]]
name = "corp"
corp_id = "{}"
agent_id = {}
secret = "{}"
token = "{}"
encoding_aes_key = "{}"
base_url = "{}"
[[wecom.route]]
to = ["zhangsan"]
"#,
            slack::BOT_TOKEN,
            slack::SIGNING_SECRET,
            slack.url,
            feishu::APP_ID,
            feishu::APP_SECRET,
            feishu::ENCRYPT_KEY,
            feishu::VERIFICATION_TOKEN,
            feishu.url,
            wecom::CORP_ID,
            wecom::AGENT_ID,
            wecom::SECRET,
            wecom::TOKEN,
            wecom::AES_KEY,
            wecom.url,
        ),
    )
    .unwrap();
    path.display().to_string()
}

async fn slack_click(hub: &HubProcess, id: &str, user: &str) -> u16 {
    let payload = json!({"type": "block_actions", "user": {"id": user, "username": user},
        "trigger_id": "1.2.3", "container": {"channel_id": "C1", "message_ts": "1700000000.000001"},
        "actions": [{"action_id": "approve", "value": id}]});
    let body = form_urlencoded(&payload.to_string());
    let ts = now().to_string();
    let signature = sign(slack::SIGNING_SECRET, &ts, body.as_bytes());
    reqwest::Client::new()
        .post(format!("{}/channels/slack/ops/interactions", hub.base))
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn form_urlencoded(json: &str) -> String {
    let encoded: String = json
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("payload={encoded}")
}

async fn feishu_click(hub: &HubProcess, id: &str, open_id: &str) -> Value {
    let event = json!({"schema": "2.0",
        "header": {"event_id": format!("e-{open_id}"), "token": feishu::VERIFICATION_TOKEN,
                   "create_time": "1", "event_type": "card.action.trigger", "tenant_key": "t",
                   "app_id": feishu::APP_ID},
        "event": {"operator": {"open_id": open_id}, "token": "c-1",
                  "action": {"value": {"request": id, "action": "reject"}, "tag": "button",
                             "form_value": {"text": "not today"}},
                  "context": {"open_message_id": "om_1", "open_chat_id": "oc_ops"}}});
    let body =
        json!({"encrypt": encrypt(feishu::ENCRYPT_KEY, &event.to_string(), [2; 16])}).to_string();
    let ts = now().to_string();
    let signature = event_signature(&ts, "nonce", feishu::ENCRYPT_KEY, body.as_bytes());
    reqwest::Client::new()
        .post(format!("{}/channels/feishu/cn/callback", hub.base))
        .header("x-lark-request-timestamp", ts)
        .header("x-lark-request-nonce", "nonce")
        .header("x-lark-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

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
    let file = config(hub.path(), &slack_api, &feishu_api, &wecom_api);
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
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");
    let approver = server.address("fanout");
    let body = json!({"task_id": "t", "conversation_id": "c1", "request_id": "r1",
                      "loop_type": "approval", "platform": "deploy",
                      "metadata": {"recipient_email": approver},
                      "context": {"question": "Deploy v2?"}});
    let reply = common::post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &body,
    )
    .await;
    assert_eq!(reply["success"], true, "{reply}");
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
    let (slack_code, feishu_answer) = tokio::join!(
        slack_click(&hub, &id, "U1"),
        feishu_click(&hub, &id, "ou_bob")
    );
    assert_eq!(slack_code, 200);
    let status = common::get_json(
        &format!(
            "{}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=deploy",
            hub.base
        ),
        &key,
    )
    .await;
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
}
