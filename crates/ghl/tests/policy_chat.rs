//! The policy on a chat channel through `ghl serve --config --test-clock`, against a local fake
//! of Slack's Web API: a quorum's vote cast in a card brings every card of the request up to
//! date with the count; when the plan's escalation step is reached (the hub's test clock moved,
//! nobody sleeps) the request is also sent to the escalated person's own DM, with the count;
//! their click there completes the quorum, though no route names them; every card ends in its
//! final state.

mod chat;
mod common;

use chat::now;
use chat::slack::{self, has_buttons, text_of};
use serde_json::json;

const PEOPLE: &str = r#"
[[approver]]
name = "alice"
display_name = "Alice Chen"
slack = "U1"

[[approver]]
name = "bob"
slack = "U2"

[[approver]]
name = "dave"
display_name = "Dave Duty"
slack = "U3"

[policy.groups]
finance = ["alice", "bob"]
oncall = ["dave"]

[[policy.rule]]
name = "payments"
when.function = "pay"
when.loop_type = "approval"
approvers = ["finance"]
quorum = { approvals = 2 }
deadline = "1h"
escalate = [{ after = "10m", to = ["oncall"] }]
"#;

/// How many `chat.postMessage` calls went to `channel`.
fn posts_to(calls: &[chat::fake::Call], channel: &str) -> usize {
    calls
        .iter()
        .filter(|c| c.path == "/api/chat.postMessage" && c.json["channel"] == channel)
        .count()
}

#[tokio::test]
async fn votes_show_on_the_cards_and_escalation_sends_the_request_to_the_escalated_person() {
    let fake = slack::start().await;
    let mut hub = common::HubProcess::unstarted();
    let tables = [PEOPLE.to_owned(), slack::table(&fake, &["C1"], &[])];
    let file = chat::write_config(hub.path(), &tables);
    hub.set_extra(&["--config", &file, "--test-clock"], &[]);
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");
    let context = json!({"question": "Pay ACME?",
                         "function": {"function_name": "pay", "arguments": {"amount": 1200}}});
    chat::create(&hub, &key, "r1", "approval", context, json!({})).await;
    let calls = fake
        .until("the card in C1", |calls| posts_to(calls, "C1") == 1)
        .await;
    assert!(
        !calls.iter().any(|c| c.path == "/api/conversations.open"),
        "nobody is escalated to yet: {calls:?}"
    );
    let card = calls
        .iter()
        .find(|c| c.path == "/api/chat.postMessage")
        .unwrap();
    let id = slack::request_id_of(&card.json);
    let c1_ts = "1700000000.000001";

    // Alice votes in the card: the request stays pending, and the card shows the count.
    let click = slack::click("approve", &id, "U1", "C1", c1_ts);
    assert_eq!(slack::interact(&hub.base, &click, now()).await.0, 200);
    let updates = fake
        .until("the card updated with the count", |calls| {
            calls.iter().any(|c| {
                c.path == "/api/chat.update" && text_of(&c.json).contains("1 of 2 approvals")
            })
        })
        .await;
    let update = updates
        .iter()
        .find(|c| c.path == "/api/chat.update")
        .unwrap();
    assert_eq!(update.json["channel"], "C1");
    assert!(has_buttons(&update.json), "still open: {}", update.json);
    assert_eq!(
        chat::status(&hub, &key, "c1", "r1", 0).await["status"],
        "pending"
    );

    // Ten minutes on the hub's clock: the escalation step is reached, and Dave gets the
    // request in his DM, with the count so far.
    let moved = common::post_json(
        &format!("{}/api/v1/test/clock", hub.base),
        &key,
        &json!({"advance_secs": 601}),
    )
    .await;
    assert_eq!(moved["success"], true, "{moved}");
    let calls = fake
        .until("the card in Dave's DM", |calls| posts_to(calls, "DU3") == 1)
        .await;
    let opened = calls
        .iter()
        .find(|c| c.path == "/api/conversations.open")
        .unwrap();
    assert_eq!(opened.json["users"], "U3");
    let dm = calls
        .iter()
        .find(|c| c.path == "/api/chat.postMessage" && c.json["channel"] == "DU3")
        .unwrap();
    let shown = text_of(&dm.json);
    assert!(shown.contains("Pay ACME?"), "{shown}");
    assert!(shown.contains("1 of 2 approvals"), "{shown}");
    assert!(has_buttons(&dm.json));
    assert_eq!(posts_to(&calls, "C1"), 1, "C1 is not posted to again");

    // Dave approves in his DM (no route names him; the plan does): the quorum is reached.
    let click = slack::click("approve", &id, "U3", "DU3", "1700000000.000002");
    // Signed at the hub's time: Slack's timestamps must be within 5 minutes of its clock.
    let hub_now = now() + 601;
    assert_eq!(slack::interact(&hub.base, &click, hub_now).await.0, 200);
    let status = chat::status(&hub, &key, "c1", "r1", 10).await;
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["responded_by"], "dave");

    // Both cards end approved by Dave Duty, without buttons.
    let updates = fake
        .until("both cards closed", |calls| {
            let closed = |channel: &str| {
                calls.iter().any(|c| {
                    c.path == "/api/chat.update"
                        && c.json["channel"] == channel
                        && !has_buttons(&c.json)
                })
            };
            closed("C1") && closed("DU3")
        })
        .await;
    for update in updates
        .iter()
        .filter(|c| c.path == "/api/chat.update" && !has_buttons(&c.json))
    {
        let shown = text_of(&update.json);
        assert!(shown.contains("Approved by Dave Duty at"), "{shown}");
        assert!(
            !shown.contains("approvals,"),
            "a decided card shows no count: {shown}"
        );
    }
}
