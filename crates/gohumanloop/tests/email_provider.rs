//! `EmailProvider` against a real mail server (Postfix + Dovecot on loopback): the agent's mail
//! goes out over SMTP, a human reads it over IMAP and replies as a mail client does, and the
//! provider reads the reply from its mailbox (IDLE). Both languages, both TLS modes.

use std::time::Duration;

use gohumanloop::model::{HumanLoopRequest, HumanLoopResult, LoopType, Status};
use gohumanloop::providers::email::{EmailLanguage, EmailOptions, EmailProvider, Security};
use gohumanloop::Provider;
use gohumanloop_testkit::mail::{open, reply, MailServer};
use serde_json::{json, Value};

struct Setup {
    server: MailServer,
    provider: EmailProvider,
    options: EmailOptions,
    approver: String,
    /// The provider's own address: replies go there.
    agent: String,
}

fn setup(server: MailServer, language: EmailLanguage, implicit_smtp: bool) -> Setup {
    let agent = server.address("agent");
    let (smtp_port, smtp, imap_port, imap) = if implicit_smtp {
        (
            server.smtps_port,
            Security::Tls,
            server.imap_port,
            Security::StartTls,
        )
    } else {
        (
            server.smtp_port,
            Security::StartTls,
            server.imaps_port,
            Security::Tls,
        )
    };
    let options = EmailOptions::new(&server.host, smtp_port, &server.host, imap_port)
        .security(smtp, imap)
        .login(&agent, &server.password)
        .language(language)
        .check_interval(Duration::from_secs(1))
        .trust_ca_pem(server.ca_pem.clone());
    let provider = EmailProvider::new("agent", options.clone()).expect("provider");
    let approver = server.address("approver");
    Setup {
        server,
        provider,
        options,
        approver,
        agent,
    }
}

fn request(loop_type: LoopType, conversation: &str, to: &str, context: Value) -> HumanLoopRequest {
    let mut request = HumanLoopRequest::new(
        "deploy-42",
        conversation,
        loop_type,
        context.as_object().cloned().unwrap(),
    );
    request.metadata = json!({ "recipient_email": to })
        .as_object()
        .cloned()
        .unwrap();
    request
}

async fn outcome(provider: &EmailProvider, pending: &HumanLoopResult) -> HumanLoopResult {
    let request_id = pending.request_id.clone();
    let mut rx = provider
        .subscribe(&pending.conversation_id, &request_id)
        .unwrap();
    let waited = tokio::time::timeout(
        Duration::from_secs(60),
        rx.wait_for(|r| r.status != Status::Pending),
    )
    .await;
    match waited {
        Ok(Ok(result)) => result.clone(),
        _ => panic!("no answer was read within 60 s"),
    }
}

/// Asks, waits for the mail in the approver's box, replies with `words`; the outcome.
async fn ask_and_reply(
    s: &Setup,
    request: HumanLoopRequest,
    nth: usize,
    words: &str,
) -> HumanLoopResult {
    let pending = s.provider.request(request).await.unwrap();
    assert_eq!(pending.status, Status::Pending, "{:?}", pending.error);
    let mails = s.server.wait_for(&s.approver, nth).await;
    let mail = open(&mails[nth - 1]);
    s.server
        .send(&s.approver, reply(&mail, &s.approver, words))
        .await;
    outcome(&s.provider, &pending).await
}

#[tokio::test]
async fn approval_information_and_a_three_turn_conversation_in_english() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, EmailLanguage::En, false);
    let to = s.approver.clone();

    // Approve; the mail is the original's English template, in a text and an HTML part.
    let ask = request(
        LoopType::Approval,
        "c-approve",
        &to,
        json!({"message": "Deploy 2.3?"}),
    );
    let approved = ask_and_reply(&s, ask, 1, "Decision: approve\nReason: tested on staging").await;
    let first = open(&s.server.messages(&s.approver).await[0]);
    assert!(first.text.contains("Deploy 2.3?"));
    assert!(first
        .text
        .contains("===== PLEASE KEEP THIS LINE AS CONTENT START MARKER ====="));
    assert!(first
        .text
        .contains("Decision: [approve/approved/accept/yes|reject/rejected/deny/no]"));
    assert!(first.html.contains("Powered by GoHumanLoop"));
    assert!(
        first.subject.starts_with("[agent] Task deploy-42 [#"),
        "{}",
        first.subject
    );
    assert_eq!(approved.status, Status::Approved);
    assert_eq!(approved.response["decision"], "approved");
    assert_eq!(approved.response["reason"], "tested on staging");
    assert_eq!(
        approved.responded_by.as_deref(),
        Some(s.approver.as_str()),
        "the bare address, as the hub records it"
    );

    // Reject, the reason on its own line (the original loses it).
    let ask = request(
        LoopType::Approval,
        "c-reject",
        &to,
        json!({"message": "Drop the table?"}),
    );
    let rejected = ask_and_reply(&s, ask, 2, "Decision: reject\nReason: not on a Friday").await;
    assert_eq!(rejected.status, Status::Rejected);
    assert_eq!(rejected.response["reason"], "not on a Friday");

    // Information.
    let ask = request(
        LoopType::Information,
        "c-info",
        &to,
        json!({"question": "Which host?"}),
    );
    let info = ask_and_reply(&s, ask, 3, "Information: db.internal, port 5432").await;
    assert_eq!(info.status, Status::Completed);
    assert_eq!(info.response["information"], "db.internal, port 5432");

    // Three turns of one conversation, in one thread.
    let turn = |n: usize| {
        request(
            LoopType::Conversation,
            "c-talk",
            &to,
            json!({"message": format!("turn {n}")}),
        )
    };
    let one = ask_and_reply(&s, turn(1), 4, "Hello agent").await;
    assert_eq!(
        (one.status, one.response["user_content"].clone()),
        (Status::InProgress, json!("Hello agent"))
    );
    let pending = s.provider.continue_conversation(turn(2)).await.unwrap();
    let mails = s.server.wait_for(&s.approver, 5).await;
    let second = open(&mails[4]);
    s.server
        .send(&s.approver, reply(&second, &s.approver, "Still here"))
        .await;
    assert_eq!(
        outcome(&s.provider, &pending).await.status,
        Status::InProgress
    );
    let pending = s.provider.continue_conversation(turn(3)).await.unwrap();
    let mails = s.server.wait_for(&s.approver, 6).await;
    let third = open(&mails[5]);
    s.server
        .send(
            &s.approver,
            reply(&third, &s.approver, "Done, thanks [END CONVERSATION]"),
        )
        .await;
    let last = outcome(&s.provider, &pending).await;
    assert_eq!(last.status, Status::Completed);
    let first_turn = open(&mails[3]);
    assert_eq!(
        second.in_reply_to.as_deref(),
        Some(first_turn.message_id.as_str())
    );
    assert_eq!(
        third.in_reply_to.as_deref(),
        Some(second.message_id.as_str())
    );
    assert_eq!(
        third.references,
        [first_turn.message_id.clone(), second.message_id.clone()]
    );
    assert_eq!(
        third.subject.split(" [#").next(),
        first_turn.subject.split(" [#").next(),
        "every turn keeps the thread's subject"
    );
}

#[tokio::test]
async fn approval_information_and_a_three_turn_conversation_in_chinese() {
    let Some(server) = MailServer::get() else {
        return;
    };
    // The other TLS modes: SMTP over implicit TLS, IMAP with STARTTLS.
    let s = setup(server, EmailLanguage::Zh, true);
    let to = s.approver.clone();

    let ask = request(
        LoopType::Approval,
        "c-approve",
        &to,
        json!({"message": "发布 2.3？"}),
    );
    let approved = ask_and_reply(&s, ask, 1, "决定：同意\n理由：已检查").await;
    let first = open(&s.server.messages(&s.approver).await[0]);
    assert!(first
        .text
        .contains("===== 请保留此行作为内容开始标记 ====="));
    assert!(first
        .text
        .contains("决定：[批准/同意/approve|拒绝/否决/reject]"));
    assert_eq!(approved.status, Status::Approved);
    assert_eq!(approved.response["reason"], "已检查");

    let ask = request(
        LoopType::Approval,
        "c-reject",
        &to,
        json!({"message": "删除数据表？"}),
    );
    let rejected = ask_and_reply(&s, ask, 2, "决定：不同意\n理由：周五不上线").await;
    assert_eq!(rejected.status, Status::Rejected);
    assert_eq!(rejected.response["reason"], "周五不上线");

    let ask = request(
        LoopType::Information,
        "c-info",
        &to,
        json!({"question": "数据库在哪？"}),
    );
    let info = ask_and_reply(&s, ask, 3, "信息：db.internal").await;
    assert_eq!(info.response["information"], "db.internal");

    let turn = |n: usize| {
        request(
            LoopType::Conversation,
            "c-talk",
            &to,
            json!({"message": format!("第 {n} 轮")}),
        )
    };
    assert_eq!(
        ask_and_reply(&s, turn(1), 4, "你好").await.status,
        Status::InProgress
    );
    let pending = s.provider.continue_conversation(turn(2)).await.unwrap();
    let second = open(&s.server.wait_for(&s.approver, 5).await[4]);
    s.server
        .send(&s.approver, reply(&second, &s.approver, "继续"))
        .await;
    assert_eq!(
        outcome(&s.provider, &pending).await.status,
        Status::InProgress
    );
    let pending = s.provider.continue_conversation(turn(3)).await.unwrap();
    let third = open(&s.server.wait_for(&s.approver, 6).await[5]);
    s.server
        .send(
            &s.approver,
            reply(&third, &s.approver, "好的，谢谢[结束对话]"),
        )
        .await;
    let last = outcome(&s.provider, &pending).await;
    assert_eq!(last.status, Status::Completed);
    assert_eq!(last.response["user_content"], "好的，谢谢[结束对话]");
    assert_eq!(
        third.in_reply_to.as_deref(),
        Some(second.message_id.as_str())
    );
}

#[tokio::test]
async fn a_reply_from_someone_else_is_ignored() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, EmailLanguage::En, false);
    let mallory = s.server.address("mallory");
    let ask = request(
        LoopType::Approval,
        "c-1",
        &s.approver,
        json!({"message": "Pay invoice?"}),
    );
    let pending = s.provider.request(ask).await.unwrap();
    let mail = open(&s.server.wait_for(&s.approver, 1).await[0]);
    // Mallory saw the mail (forwarded, say) and answers it with the right thread headers.
    s.server
        .send(&mallory, reply(&mail, &mallory, "Decision: approve"))
        .await;
    // Then the approver answers: only that counts. Mallory's reply is in the mailbox first, and
    // the provider reads its mails in mailbox order: had it taken mallory's, that would have
    // decided before the approver's.
    s.server.wait_for(&s.agent, 1).await;
    s.server
        .send(
            &s.approver,
            reply(&mail, &s.approver, "Decision: reject\nReason: wrong amount"),
        )
        .await;
    let done = outcome(&s.provider, &pending).await;
    assert_eq!(done.status, Status::Rejected);
    assert_eq!(done.responded_by.as_deref(), Some(s.approver.as_str()));
}

#[tokio::test]
async fn polling_works_where_idle_is_not_used() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let mut s = setup(server, EmailLanguage::En, false);
    s.provider = EmailProvider::new("agent", s.options.clone().poll_only()).unwrap();
    let ask = request(
        LoopType::Approval,
        "c-poll",
        &s.approver,
        json!({"message": "Rotate keys?"}),
    );
    let done = ask_and_reply(&s, ask, 1, "Approved, go ahead.").await;
    assert_eq!(done.status, Status::Approved);
    assert_eq!(done.response["reason"], "go ahead.");
}

#[tokio::test]
async fn a_request_without_recipient_fails_as_the_original() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let s = setup(server, EmailLanguage::En, false);
    let mut ask = request(
        LoopType::Approval,
        "c-1",
        "x@ghl.test",
        json!({"message": "?"}),
    );
    ask.metadata.clear();
    let result = s.provider.request(ask).await.unwrap();
    assert_eq!(result.status, Status::Error);
    assert_eq!(
        result.error.as_deref(),
        Some("Recipient email address is missing")
    );
}
