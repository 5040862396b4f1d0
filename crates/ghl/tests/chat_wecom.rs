//! The WeCom channel end to end through `ghl serve --config`, against a local fake of WeCom's
//! server API, with WeCom's published sample Token, CorpID and EncodingAESKey: the URL check,
//! a card per approver, a stranger's click refused in the passive reply, a rejection with a
//! picked reason answering the waiting agent, every copy closed with its send-time
//! response_code; information requests skipped with the reason; tampered, stale and replayed
//! callbacks refused.

mod chat;
mod common;

use std::time::Duration;

use chat::now;
use chat::wecom::{self, AES_KEY, AGENT_ID, CORP_ID, TOKEN};
use common::HubProcess;
use gohumanloop_hub::channels::wecom::crypto::WecomCrypto;
use gohumanloop_hub::store::DeliveryState;
use gohumanloop_testkit::until;
use serde_json::{json, Value};

fn crypto() -> WecomCrypto {
    WecomCrypto::new(TOKEN, AES_KEY, CORP_ID).unwrap()
}

fn click_xml(user: &str, key: &str, task: &str, reason: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>\
<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>\
<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>\
<ResponseCode><![CDATA[click-code-{user}]]></ResponseCode><AgentID>{AGENT_ID}</AgentID>\
<SelectedItems><SelectedItem><QuestionKey><![CDATA[reason]]></QuestionKey><OptionIds><OptionId><![CDATA[{reason}]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>",
        now()
    )
}

/// POSTs `plaintext` as WeCom does: encrypted, in the envelope, signed in the query.
async fn post(
    hub: &HubProcess,
    plaintext: &str,
    timestamp: i64,
    nonce: &str,
    tamper: bool,
) -> (u16, String) {
    let c = crypto();
    let encrypted = c.encrypt(plaintext, [5; 16]);
    let mut signature = c.signature(&timestamp.to_string(), nonce, &encrypted);
    if tamper {
        signature = c.signature(&(timestamp + 1).to_string(), nonce, &encrypted);
    }
    let body = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    );
    send(hub, body, &signature, timestamp, nonce).await
}

async fn send(
    hub: &HubProcess,
    body: String,
    signature: &str,
    timestamp: i64,
    nonce: &str,
) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/channels/wecom/corp/callback", hub.base))
        .query(&[
            ("msg_signature", signature),
            ("timestamp", &timestamp.to_string()),
            ("nonce", nonce),
        ])
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The plaintext of an encrypted passive reply, its signature checked.
fn open_reply(reply: &str) -> String {
    let field = |name: &str| {
        reply
            .split(&format!("<{name}>"))
            .nth(1)
            .and_then(|r| r.split(&format!("</{name}>")).next())
            .unwrap()
            .trim_start_matches("<![CDATA[")
            .trim_end_matches("]]>")
            .to_owned()
    };
    crypto()
        .open(
            &field("MsgSignature"),
            &field("TimeStamp"),
            &field("Nonce"),
            &field("Encrypt"),
        )
        .unwrap()
}

async fn create(hub: &HubProcess, key: &str, rid: &str, loop_type: &str) {
    let context = json!({"question": "部署 v2 到生产？"});
    chat::create(hub, key, rid, loop_type, context, json!({})).await;
}

#[tokio::test]
async fn a_card_is_decided_in_wecom_and_every_copy_is_closed() {
    let fake = wecom::start().await;
    let tables = [
        chat::ALICE.into(),
        wecom::table(&fake, &["zhangsan", "lisi"], &["alice"]),
    ];
    let (hub, key) = chat::serve(&tables);

    // The URL check: the echostr's plaintext, exactly.
    let c = crypto();
    let echostr = c.encrypt("1616140317555161061", [3; 16]);
    let (ts, nonce) = (now().to_string(), "1597212914");
    let check = |signature: String| {
        let url = format!("{}/channels/wecom/corp/callback", hub.base);
        let query = [
            ("msg_signature", signature),
            ("timestamp", ts.clone()),
            ("nonce", nonce.to_owned()),
            ("echostr", echostr.clone()),
        ];
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .query(&query)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(
        check(c.signature(&ts, nonce, &echostr)).await,
        (200, "1616140317555161061".into())
    );
    assert_eq!(check("0".repeat(40)).await.0, 401);

    create(&hub, &key, "r1", "approval").await;
    fake.until("a card to each approver", |calls| {
        calls
            .iter()
            .filter(|c| c.path == "/cgi-bin/message/send")
            .count()
            == 2
    })
    .await;
    let sends = fake.calls_to("/cgi-bin/message/send");
    let mut to: Vec<&str> = sends
        .iter()
        .map(|c| c.json["touser"].as_str().unwrap())
        .collect();
    to.sort();
    assert_eq!(to, ["lisi", "zhangsan"]);
    assert_eq!(
        fake.calls_to("/cgi-bin/gettoken").len(),
        1,
        "the token is cached"
    );
    let card = &sends[0].json["template_card"];
    assert_eq!(card["card_type"], "button_interaction");
    assert_eq!(card["sub_title_text"], "部署 v2 到生产？");
    let approve_key = card["button_list"][0]["key"].as_str().unwrap().to_owned();
    let id = approve_key.trim_start_matches("approve:").to_owned();
    assert_eq!(card["button_list"][1]["key"], format!("reject:{id}"));
    let task = card["task_id"].as_str().unwrap().to_owned();

    let waiting = {
        let (base, key) = (hub.base.clone(), key.clone());
        tokio::spawn(async move {
            let url = format!("{base}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=deploy&wait=30");
            common::get_json(&url, &key).await
        })
    };

    // Tampered and stale callbacks: refused.
    let approve = click_xml("zhangsan", &approve_key, &task, "r0");
    assert_eq!(post(&hub, &approve, now(), "n0", true).await.0, 401);
    assert_eq!(post(&hub, &approve, now() - 301, "n0", false).await.0, 401);
    // Lisi is not an approver of the route: told in the passive reply, nothing recorded.
    let (code, reply) = post(
        &hub,
        &click_xml("lisi", &approve_key, &task, "r0"),
        now(),
        "n1",
        false,
    )
    .await;
    assert_eq!(code, 200);
    let opened = open_reply(&reply);
    assert!(
        opened.contains("update_button") && opened.contains("<![CDATA[Not allowed]]>"),
        "{opened}"
    );

    // Alice rejects, picking the second reason.
    let stamp = now();
    let reject = click_xml("zhangsan", &format!("reject:{id}"), &task, "r1");
    let (code, reply) = post(&hub, &reject, stamp, "n2", false).await;
    assert_eq!(code, 200);
    let opened = open_reply(&reply);
    assert!(
        opened.contains("<ToUserName><![CDATA[zhangsan]]></ToUserName>"),
        "{opened}"
    );
    assert!(opened.contains("Rejected by Alice"), "{opened}");
    let answered = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&answered["status"], &answered["responded_by"]),
        (&json!("rejected"), &json!("alice")),
        "{answered}"
    );
    assert_eq!(answered["response"]["reason"], "Too risky");
    // The same signed callback again: a replay.
    assert_eq!(post(&hub, &reject, stamp, "n2", false).await.0, 401);

    // Both copies closed with their own send-time response_code.
    let calls = fake
        .until("both cards closed", |calls| {
            calls
                .iter()
                .filter(|c| c.path == "/cgi-bin/message/update_template_card")
                .count()
                >= 2
        })
        .await;
    let mut codes: Vec<(String, String)> = calls
        .iter()
        .filter(|c| c.path == "/cgi-bin/message/update_template_card")
        .map(|c| {
            (
                c.json["userids"][0].as_str().unwrap().to_owned(),
                c.json["response_code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    codes.sort();
    let sent_codes: Vec<Value> = vec![json!("response-code-1"), json!("response-code-2")];
    assert!(
        codes
            .iter()
            .all(|(_, code)| sent_codes.contains(&json!(code))),
        "{codes:?}"
    );
    assert_eq!(codes.len(), 2);
    for update in calls
        .iter()
        .filter(|c| c.path == "/cgi-bin/message/update_template_card")
    {
        assert!(
            update.json["button"]["replace_name"]
                .as_str()
                .unwrap()
                .starts_with("❌ Rejected"),
            "{}",
            update.json
        );
    }

    // An information request: WeCom cards take no typed answer, so its delivery is skipped
    // and says why.
    create(&hub, &key, "r2", "information").await;
    let got = common::get_json(&format!("{}/api/v1/requests/r2", hub.base), &key).await;
    let info_id = got["request"]["id"].as_str().unwrap().to_owned();
    let store = gohumanloop_hub::store::open(&hub.db_url()).await.unwrap();
    let skipped = until(
        "both deliveries skipped",
        Duration::from_secs(60),
        || async {
            let deliveries = store.deliveries_of(&info_id).await.unwrap();
            (deliveries.len() == 2 && deliveries.iter().all(|d| d.state == DeliveryState::Skipped))
                .then_some(deliveries)
        },
    )
    .await;
    assert!(
        skipped[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("no typed answer"),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn an_oa_route_files_approval_applications_and_takes_their_decisions() {
    let fake = wecom::start().await;
    let route = format!(
        "{}approval = \"TEMPLATE-1\"\n",
        wecom::table(&fake, &["lisi"], &[])
    );
    let (hub, key) = chat::serve(&[chat::ALICE.into(), route]);
    create(&hub, &key, "r1", "approval").await;
    let calls = fake
        .until("an approval application", |calls| {
            calls.iter().any(|c| c.path == "/cgi-bin/oa/applyevent")
        })
        .await;
    let applied = &calls
        .iter()
        .find(|c| c.path == "/cgi-bin/oa/applyevent")
        .unwrap()
        .json;
    assert_eq!(
        (&applied["creator_userid"], &applied["template_id"]),
        (&json!("lisi"), &json!("TEMPLATE-1"))
    );
    let control = &applied["apply_data"]["contents"][0];
    assert_eq!(
        (&control["control"], &control["id"]),
        (&json!("Textarea"), &json!("content"))
    );
    assert!(
        control["value"]["text"]
            .as_str()
            .unwrap()
            .contains("部署 v2 到生产？"),
        "{control}"
    );
    assert!(
        fake.calls_to("/cgi-bin/message/send").is_empty(),
        "no card on an OA route"
    );
    let got = common::get_json(&format!("{}/api/v1/requests/r1", hub.base), &key).await;
    let id = got["request"]["id"].as_str().unwrap().to_owned();
    let store = gohumanloop_hub::store::open(&hub.db_url()).await.unwrap();
    let sp_no = until(
        "the application is recorded",
        Duration::from_secs(60),
        || async {
            let deliveries = store.deliveries_of(&id).await.unwrap();
            deliveries.iter().find_map(|d| d.reference.clone())
        },
    )
    .await;

    // Still pending in WeCom: nothing changes. Rejected by zhangsan (Alice): rejected, as her,
    // with her comment.
    let (code, _) = post(
        &hub,
        &wecom::approval_change(&sp_no, 1, "zhangsan", ""),
        now(),
        "p0",
        false,
    )
    .await;
    assert_eq!(code, 200);
    let stamp = now();
    let rejected = wecom::approval_change(&sp_no, 3, "zhangsan", "too risky on a Friday");
    let (code, _) = post(&hub, &rejected, stamp, "p1", false).await;
    assert_eq!(code, 200);
    let status = chat::status(&hub, &key, "c1", "r1", 10).await;
    assert_eq!(
        (
            &status["status"],
            &status["responded_by"],
            &status["response"]["reason"]
        ),
        (
            &json!("rejected"),
            &json!("alice"),
            &json!("too risky on a Friday")
        ),
        "{status}"
    );
    assert_eq!(
        post(&hub, &rejected, stamp, "p1", false).await.0,
        401,
        "a replay"
    );
    let audit = common::get_json(&format!("{}/api/v1/requests/r1/audit", hub.base), &key).await;
    let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["actor"], &last["channel"]),
        (&json!("alice"), &json!("wecom:corp")),
        "{last}"
    );
    // An information request is not filed: an approval flow only approves or rejects.
    create(&hub, &key, "r2", "information").await;
    let got = common::get_json(&format!("{}/api/v1/requests/r2", hub.base), &key).await;
    let info_id = got["request"]["id"].as_str().unwrap().to_owned();
    let reason = until(
        "the information request skipped",
        Duration::from_secs(60),
        || async {
            let deliveries = store.deliveries_of(&info_id).await.unwrap();
            deliveries
                .iter()
                .find(|d| d.state == DeliveryState::Skipped)
                .map(|d| d.last_error.clone())
        },
    )
    .await;
    assert!(reason
        .unwrap_or_default()
        .contains("only approves or rejects"));
    assert_eq!(fake.calls_to("/cgi-bin/oa/applyevent").len(), 1);
}
