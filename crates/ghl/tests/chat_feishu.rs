//! The Feishu channel end to end through `ghl serve --config`, against a local fake of the
//! Feishu Open Platform: the URL verification, the card sent to a chat and to a person, a
//! stranger refused with a toast, an approval in the card answering the waiting agent, every
//! card patched to its final state; unsigned, stale and replayed callbacks refused.

mod chat;
mod common;

use std::time::Duration;

use chat::feishu::{self, card_of, has_buttons, ENCRYPT_KEY, VERIFICATION_TOKEN};
use chat::now;
use common::HubProcess;
use gohumanloop_hub::channels::feishu::crypto::{encrypt, event_signature};
use serde_json::{json, Value};

#[tokio::test]
async fn a_card_is_decided_in_feishu_and_every_copy_is_patched() {
    let fake = feishu::start().await;
    let tables = [
        chat::ALICE.into(),
        feishu::table(&fake, &["oc_ops", "ou_alice"], &["alice"]),
    ];
    let (hub, key) = chat::serve(&tables);

    // The URL verification: the challenge echoed for the right token only.
    let challenge = json!({"challenge": "ajls384kdjx98XX", "token": VERIFICATION_TOKEN,
                           "type": "url_verification"});
    assert_eq!(
        feishu::post(&hub.base, &challenge, now(), false).await,
        (200, json!({"challenge": "ajls384kdjx98XX"}))
    );
    let wrong = json!({"challenge": "x", "token": "not it", "type": "url_verification"});
    assert_eq!(feishu::post(&hub.base, &wrong, now(), false).await.0, 401);

    let context = json!({"question": "Deploy **v2** to prod?"});
    chat::create(&hub, &key, "r1", "approval", context, json!({})).await;
    fake.until("a card to the chat and to Alice", |calls| {
        calls
            .iter()
            .filter(|c| c.method == "POST" && c.path == "/open-apis/im/v1/messages")
            .count()
            == 2
    })
    .await;
    let sends = fake.calls_to("/open-apis/im/v1/messages");
    let mut to: Vec<(String, String)> = sends
        .iter()
        .map(|c| {
            (
                c.param("receive_id_type").unwrap(),
                c.json["receive_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            ("chat_id".into(), "oc_ops".into()),
            ("open_id".into(), "ou_alice".into())
        ]
    );
    let card = card_of(&sends[0]);
    assert_eq!(card["schema"], "2.0");
    assert!(
        card.to_string()
            .contains("Deploy &#42;&#42;v2&#42;&#42; to prod?"),
        "{card}"
    );
    assert!(has_buttons(&card));
    let id = card
        .to_string()
        .split("\"request\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        fake.calls_to("/open-apis/auth/v3/tenant_access_token/internal")
            .len(),
        1,
        "the token is cached"
    );

    let waiting = {
        let (base, key) = (hub.base.clone(), key.clone());
        tokio::spawn(async move {
            let url = format!("{base}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=deploy&wait=30");
            common::get_json(&url, &key).await
        })
    };

    // Unsigned, wrongly signed, stale: refused, nothing recorded.
    let approve = feishu::click(&id, "approve", "ou_alice", "");
    assert_eq!(feishu::post(&hub.base, &approve, now(), false).await.0, 401);
    let body = json!({"encrypt": encrypt(ENCRYPT_KEY, &approve.to_string(), [7; 16])}).to_string();
    let forged = "0".repeat(64);
    assert_eq!(
        feishu::send(&hub.base, body, now(), "n", &forged).await.0,
        401
    );
    assert_eq!(
        feishu::post(&hub.base, &approve, now() - 301, true).await.0,
        401
    );
    // Signed, but encrypted with another key: not a callback of this app (400); unsigned, the
    // same body is refused like any unsigned one (401).
    let foreign =
        json!({"encrypt": encrypt("another key", &approve.to_string(), [1; 16])}).to_string();
    let sig = event_signature(&now().to_string(), "n", ENCRYPT_KEY, foreign.as_bytes());
    assert_eq!(
        feishu::send(&hub.base, foreign.clone(), now(), "n", &sig)
            .await
            .0,
        400
    );
    assert_eq!(
        feishu::send(&hub.base, foreign, now(), "n", "").await.0,
        401
    );
    // Bob is not an approver of the route: a toast, no card change, nothing recorded.
    let (code, answer) = feishu::post(
        &hub.base,
        &feishu::click(&id, "approve", "ou_bob", ""),
        now(),
        true,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(answer["toast"]["type"], "error", "{answer}");
    assert!(answer.get("card").is_none());
    assert_eq!(
        chat::status(&hub, &key, "c1", "r1", 0).await["status"],
        "pending"
    );
    // A rejection without a reason: refused with a toast.
    let (_, answer) = feishu::post(
        &hub.base,
        &feishu::click(&id, "reject", "ou_alice", " "),
        now(),
        true,
    )
    .await;
    assert_eq!(answer["toast"]["type"], "error", "{answer}");

    // Alice approves with a note: the answer carries the card in its final state.
    let stamp = now();
    let event = feishu::click(&id, "approve", "ou_alice", "ship it");
    let body = json!({"encrypt": encrypt(ENCRYPT_KEY, &event.to_string(), [9; 16])}).to_string();
    let sig = event_signature(&stamp.to_string(), "n1", ENCRYPT_KEY, body.as_bytes());
    let (code, answer) = feishu::send(&hub.base, body.clone(), stamp, "n1", &sig).await;
    assert_eq!(
        (code, &answer["toast"]["type"]),
        (200, &json!("success")),
        "{answer}"
    );
    let shown = answer["card"]["data"].to_string();
    assert!(
        shown.contains("Approved by Alice Chen at") && shown.contains("ship it"),
        "{shown}"
    );
    assert!(!has_buttons(&answer["card"]["data"]));
    let answered = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&answered["status"], &answered["responded_by"]),
        (&json!("approved"), &json!("alice")),
        "{answered}"
    );
    // The same signed callback again: a replay.
    assert_eq!(
        feishu::send(&hub.base, body, stamp, "n1", &sig).await.0,
        401
    );

    // Both cards are patched to the final state.
    let calls = fake
        .until("both cards patched", |calls| {
            let mut patched: Vec<&str> = calls
                .iter()
                .filter(|c| c.method == "PATCH" && !has_buttons(&card_of(c)))
                .map(|c| c.path.as_str())
                .collect();
            patched.sort();
            patched.dedup();
            patched.len() == 2
        })
        .await;
    for patch in calls.iter().filter(|c| c.method == "PATCH") {
        assert!(card_of(patch)
            .to_string()
            .contains("Approved by Alice Chen"));
    }
    // A late click: told who won, with the final card.
    let (_, answer) = feishu::post(
        &hub.base,
        &feishu::click(&id, "reject", "ou_alice", "too late"),
        now(),
        true,
    )
    .await;
    assert_eq!(answer["toast"]["type"], "info");
    assert!(
        answer["toast"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Already approved by alice"),
        "{answer}"
    );
    assert!(answer["card"]["data"]
        .to_string()
        .contains("Approved by Alice Chen"));
    // An unknown request: a polite final card.
    let (_, answer) = feishu::post(
        &hub.base,
        &feishu::click("nope", "approve", "ou_alice", ""),
        now(),
        true,
    )
    .await;
    assert_eq!(
        answer["card"]["data"]["body"]["elements"][0]["content"],
        "This request is no longer available."
    );
}

/// Waits (bounded) until the request's delivery is recorded with its platform reference.
async fn delivered(hub: &HubProcess, key: &str, rid: &str) {
    let got = common::get_json(&format!("{}/api/v1/requests/{rid}", hub.base), key).await;
    let id = got["request"]["id"].as_str().unwrap().to_owned();
    let store = gohumanloop_hub::store::open(&hub.db_url()).await.unwrap();
    let what = format!("{rid} to be delivered");
    gohumanloop_testkit::until(&what, Duration::from_secs(60), || async {
        let deliveries = store.deliveries_of(&id).await.unwrap();
        deliveries
            .iter()
            .any(|d| d.reference.is_some())
            .then_some(())
    })
    .await
}

#[tokio::test]
async fn an_oa_route_creates_approval_instances_and_takes_their_decisions() {
    let fake = feishu::start().await;
    let route = format!(
        "{}approval = \"APPROVAL-CODE-1\"\n",
        feishu::table(&fake, &["ou_applicant"], &[])
    );
    let (hub, key) = chat::serve(&[route]);
    let context = json!({"question": "Deploy v3?", "function": {"name": "deploy"}});
    chat::create(&hub, &key, "r1", "approval", context.clone(), json!({})).await;
    let calls = fake
        .until("an approval instance", |calls| {
            calls
                .iter()
                .any(|c| c.path == "/open-apis/approval/v4/instances")
        })
        .await;
    let created = calls
        .iter()
        .find(|c| c.path == "/open-apis/approval/v4/instances")
        .unwrap();
    assert_eq!(created.json["open_id"], "ou_applicant");
    let form: Value = serde_json::from_str(created.json["form"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&form[0]["id"], &form[0]["type"]),
        (&json!("content"), &json!("textarea"))
    );
    assert!(
        form[0]["value"].as_str().unwrap().contains("Deploy v3?"),
        "{form}"
    );
    assert!(
        fake.calls_to("/open-apis/im/v1/messages").is_empty(),
        "no card on an OA route"
    );
    delivered(&hub, &key, "r1").await;

    // Approved in Feishu's approval app: the request is approved.
    let event = feishu::approval_event("INSTANCE-1", "APPROVED");
    let stamp = now();
    let body = json!({"encrypt": encrypt(ENCRYPT_KEY, &event.to_string(), [4; 16])}).to_string();
    let signature = event_signature(&stamp.to_string(), "n", ENCRYPT_KEY, body.as_bytes());
    let (code, _) = feishu::send(&hub.base, body.clone(), stamp, "n", &signature).await;
    assert_eq!(code, 200);
    let status = chat::status(&hub, &key, "c1", "r1", 10).await;
    assert_eq!(
        (&status["status"], &status["responded_by"]),
        (&json!("approved"), &json!("feishu-approval:INSTANCE-1")),
        "{status}"
    );
    assert_eq!(
        feishu::send(&hub.base, body, stamp, "n", &signature)
            .await
            .0,
        401,
        "a replay"
    );
    // A pending status changes nothing; unsigned events are refused.
    let pending = feishu::approval_event("INSTANCE-1", "PENDING");
    assert_eq!(feishu::post(&hub.base, &pending, now(), false).await.0, 401);

    // Decided elsewhere (the answering API): the instance is cancelled in Feishu.
    chat::create(&hub, &key, "r2", "approval", context, json!({})).await;
    delivered(&hub, &key, "r2").await;
    let decided = common::post_json(
        &format!("{}/api/v1/requests/r2/reject", hub.base),
        &key,
        &json!({"reason": "not this week"}),
    )
    .await;
    assert_eq!(decided["success"], true, "{decided}");
    let calls = fake
        .until("the second instance cancelled", |calls| {
            calls
                .iter()
                .any(|c| c.path == "/open-apis/approval/v4/instances/cancel")
        })
        .await;
    let cancel = calls
        .iter()
        .find(|c| c.path == "/open-apis/approval/v4/instances/cancel")
        .unwrap();
    assert_eq!(
        (
            &cancel.json["instance_code"],
            &cancel.json["approval_code"],
            &cancel.json["user_id"]
        ),
        (
            &json!("INSTANCE-2"),
            &json!("APPROVAL-CODE-1"),
            &json!("ou_applicant")
        )
    );
    assert_eq!(cancel.param("user_id_type").as_deref(), Some("open_id"));
    assert_eq!(
        fake.calls_to("/open-apis/approval/v4/instances/cancel")
            .len(),
        1,
        "the instance that decided is not cancelled"
    );
    // A late approval of the cancelled instance changes nothing.
    let (code, _) = feishu::post(
        &hub.base,
        &feishu::approval_event("INSTANCE-2", "APPROVED"),
        now(),
        true,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        chat::status(&hub, &key, "c1", "r2", 0).await["status"],
        "rejected"
    );
}
