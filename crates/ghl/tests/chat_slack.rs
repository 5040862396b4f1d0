//! The Slack channel end to end through `ghl serve --config`, against a local fake of Slack's
//! Web API: the card is posted to a channel and a person's DM, an approver outside the route is
//! refused in Slack, a rejection asks for its reason in a modal, the agent's waiting call
//! returns, every message ends in its final state; tampered, stale and replayed callbacks are
//! refused and change nothing.

mod chat;
mod common;

use std::time::Duration;

use chat::now;
use chat::slack::{self, has_buttons, text_of};
use gohumanloop_hub::channels::slack::signature::sign;
use serde_json::{json, Value};

fn submission(action: &str, request: &str, user: &str, text: &str) -> Value {
    json!({"type": "view_submission", "user": {"id": user, "username": "alice"},
           "view": {"id": "V1", "callback_id": "ghl",
                    "private_metadata": json!({"request": request, "action": action}).to_string(),
                    "state": {"values": {"text": {"text": {"type": "plain_text_input",
                                                           "value": text}}}}}})
}

#[tokio::test]
async fn a_card_is_decided_in_slack_and_every_copy_ends_in_its_final_state() {
    let fake = slack::start().await;
    let tables = [
        chat::ALICE.into(),
        slack::table(&fake, &["C1", "U1"], &["alice"]),
    ];
    let (hub, key) = chat::serve(&tables);
    let context = json!({"question": "Deploy <v2> to prod?",
                         "function": {"name": "deploy", "arguments": {"env": "prod"}}});
    chat::create(&hub, &key, "r1", "approval", context, json!({})).await;
    let calls = fake
        .until("a message in the channel and in U1's DM", |calls| {
            calls
                .iter()
                .filter(|c| c.path == "/api/chat.postMessage")
                .count()
                == 2
        })
        .await;
    let opened = calls
        .iter()
        .find(|c| c.path == "/api/conversations.open")
        .unwrap();
    assert_eq!(opened.json["users"], "U1");
    let posts: Vec<_> = fake.calls_to("/api/chat.postMessage");
    let mut channels: Vec<&str> = posts
        .iter()
        .map(|c| c.json["channel"].as_str().unwrap())
        .collect();
    channels.sort();
    assert_eq!(channels, ["C1", "DU1"]);
    let message = &posts[0].json;
    let shown = text_of(message);
    assert!(shown.contains("Deploy &lt;v2&gt; to prod?"), "{shown}");
    assert!(shown.contains("\\\"env\\\": \\\"prod\\\""), "{shown}");
    assert!(has_buttons(message));
    let id = slack::request_id_of(message);
    let ts = "1700000000.000001";

    // The agent waits for the answer meanwhile.
    let waiting = {
        let (base, key) = (hub.base.clone(), key.clone());
        tokio::spawn(async move {
            let url = format!(
                "{base}/api/v1/humanloop/status?conversation_id=c1&request_id=r1&platform=deploy&wait=30"
            );
            common::get_json(&url, &key).await
        })
    };

    // Tampered, stale and unsigned callbacks: refused, nothing recorded.
    let approve = slack::click("approve", &id, "U1", "C1", ts);
    assert_eq!(
        {
            let (body, _) = slack::signed_form(&approve, now());
            let forged = sign("another secret", &now().to_string(), body.as_bytes());
            slack::send(&hub.base, body, now(), &forged).await.0
        },
        401
    );
    assert_eq!(
        slack::interact(&hub.base, &approve, now() - 301).await.0,
        401
    );
    assert_eq!(
        slack::send(&hub.base, "payload=%7B%7D".into(), now(), "v0=00")
            .await
            .0,
        401
    );

    // Bob is not an approver of the route: told so in Slack, nothing recorded.
    assert_eq!(
        slack::interact(
            &hub.base,
            &slack::click("approve", &id, "U2", "C1", ts),
            now()
        )
        .await
        .0,
        200
    );
    let told = fake
        .until("an ephemeral notice to U2", |calls| {
            calls.iter().any(|c| c.path == "/api/chat.postEphemeral")
        })
        .await;
    let notice = told
        .iter()
        .find(|c| c.path == "/api/chat.postEphemeral")
        .unwrap();
    assert_eq!(
        (&notice.json["user"], &notice.json["channel"]),
        (&json!("U2"), &json!("C1"))
    );
    assert!(notice.json["text"]
        .as_str()
        .unwrap()
        .contains("may not decide"));
    assert_eq!(
        chat::status(&hub, &key, "c1", "r1", 0).await["status"],
        "pending"
    );

    // Alice rejects: a modal asks why, before anything is recorded.
    assert_eq!(
        slack::interact(
            &hub.base,
            &slack::click("reject", &id, "U1", "C1", ts),
            now()
        )
        .await
        .0,
        200
    );
    let views = fake
        .until("a modal", |calls| {
            calls.iter().any(|c| c.path == "/api/views.open")
        })
        .await;
    let view = &views
        .iter()
        .find(|c| c.path == "/api/views.open")
        .unwrap()
        .json;
    assert_eq!(
        view["trigger_id"],
        "13345224609.738474920.8088930838d88f008e0"
    );
    assert_eq!(view["view"]["type"], "modal");
    assert_eq!(
        chat::status(&hub, &key, "c1", "r1", 0).await["status"],
        "pending"
    );
    // An empty reason is refused in the modal.
    let (code, said) =
        slack::interact(&hub.base, &submission("reject", &id, "U1", "  "), now()).await;
    assert_eq!(code, 200);
    let said: Value = serde_json::from_str(&said).unwrap();
    assert_eq!(said["response_action"], "errors", "{said}");
    // With a reason, it is recorded; the modal closes (an empty 200).
    let sent = submission("reject", &id, "U1", "not on a Friday");
    let stamp = now();
    let (body, signature) = slack::signed_form(&sent, stamp);
    let (code, said) = slack::send(&hub.base, body.clone(), stamp, &signature).await;
    assert_eq!((code, said.as_str()), (200, ""));
    let answered = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the waiting agent is answered")
        .unwrap();
    assert_eq!(answered["status"], "rejected", "{answered}");
    assert_eq!(answered["response"]["reason"], "not on a Friday");
    assert_eq!(answered["responded_by"], "alice");
    // The same signed submission again: a replay.
    assert_eq!(slack::send(&hub.base, body, stamp, &signature).await.0, 401);

    // Both messages end rejected, by Alice Chen, without buttons.
    let updates = fake
        .until("both messages updated", |calls| {
            calls
                .iter()
                .filter(|c| c.path == "/api/chat.update" && !has_buttons(&c.json))
                .count()
                >= 2
        })
        .await;
    let mut updated: Vec<&str> = updates
        .iter()
        .filter(|c| c.path == "/api/chat.update")
        .map(|c| c.json["channel"].as_str().unwrap())
        .collect();
    updated.sort();
    updated.dedup();
    assert_eq!(updated, ["C1", "DU1"]);
    for update in updates.iter().filter(|c| c.path == "/api/chat.update") {
        let shown = text_of(&update.json);
        assert!(shown.contains("Rejected by Alice Chen at"), "{shown}");
        assert!(shown.contains("not on a Friday"), "{shown}");
    }
    // The audit names the person and the channel.
    let audit = common::get_json(&format!("{}/api/v1/requests/r1/audit", hub.base), &key).await;
    let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["actor"], &last["channel"]),
        (&json!("alice"), &json!("slack:ops")),
        "{last}"
    );

    // A late click on the decided card: told who won.
    let before = fake.calls_to("/api/chat.postEphemeral").len();
    assert_eq!(
        slack::interact(
            &hub.base,
            &slack::click("approve", &id, "U1", "DU1", ts),
            now()
        )
        .await
        .0,
        200
    );
    let told = fake
        .until("a notice naming the winner", |calls| {
            calls
                .iter()
                .filter(|c| c.path == "/api/chat.postEphemeral")
                .count()
                > before
        })
        .await;
    let notice = told
        .iter()
        .rev()
        .find(|c| c.path == "/api/chat.postEphemeral")
        .unwrap();
    assert!(
        notice.json["text"]
            .as_str()
            .unwrap()
            .starts_with("Already rejected by alice"),
        "{}",
        notice.json
    );
    assert_eq!(
        chat::status(&hub, &key, "c1", "r1", 0).await["status"],
        "rejected"
    );
    // A click for a request the hub does not know: the message is closed politely.
    assert_eq!(
        slack::interact(
            &hub.base,
            &slack::click("approve", "nope", "U1", "C1", "9.9"),
            now()
        )
        .await
        .0,
        200
    );
    fake.until("the unknown request's message closed", |calls| {
        calls
            .iter()
            .any(|c| c.path == "/api/chat.update" && c.json["ts"] == "9.9")
    })
    .await;
}
