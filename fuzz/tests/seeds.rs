//! Writes the seed inputs of every corpus (`fuzz/corpus/<target>/seed-*`): the platforms'
//! published samples and the hub's own test fixtures, signed and encrypted with the fixed keys
//! the targets check with. Run once when a target changes its input format:
//! `cargo test -p gohumanloop-fuzz --test seeds -- --ignored`. The mail corpus is copied from
//! `crates/gohumanloop/tests/email_corpus` by `scripts/fuzz.sh seed`.

use std::path::Path;

use gohumanloop_fuzz::chat::{
    FEISHU_KEY, FEISHU_NOW, FEISHU_TOKEN, SLACK_NOW, SLACK_SECRET, WECOM_AES_KEY, WECOM_NOW,
    WECOM_RECEIVE_ID, WECOM_TOKEN,
};
use gohumanloop_fuzz::mcp::STATE_KEY;
use gohumanloop_fuzz::tokens::{LINK_KEY, LINK_NOW, WEBHOOK_KEY, WEBHOOK_NOW};
use gohumanloop_hub::channels::email::links::{Action, Link, LinkSigner};
use gohumanloop_hub::channels::feishu::crypto as feishu;
use gohumanloop_hub::channels::slack::signature as slack;
use gohumanloop_hub::channels::webhook::signature as webhook;
use gohumanloop_hub::channels::webhook::WebhookSecret;
use gohumanloop_hub::channels::wecom::crypto::WecomCrypto;
use serde_json::json;

/// WxJava's `testTemplateCardEvent` (WeCom doc path 90240).
const WECOM_CARD_EVENT: &str = "<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456789</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[template_card_event]]></Event>
<EventKey><![CDATA[key111]]></EventKey>
<TaskId><![CDATA[taskid111]]></TaskId>
<CardType><![CDATA[text_notice]]></CardType>
<ResponseCode><![CDATA[ResponseCode]]></ResponseCode>
<AgentID>1</AgentID>
<SelectedItems>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId1]]></OptionId>
            <OptionId><![CDATA[OptionId2]]></OptionId>
        </OptionIds>
    </SelectedItem>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey2]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId3]]></OptionId>
            <OptionId><![CDATA[OptionId4]]></OptionId>
        </OptionIds>
    </SelectedItem>
</SelectedItems>
</xml>";
/// WeCom doc path 91815's `sys_approval_change` example.
const WECOM_APPROVAL_EVENT: &str = "<xml>
  <ToUserName><![CDATA[ww1cSD21f1e9c0caaa]]></ToUserName>
  <FromUserName><![CDATA[sys]]></FromUserName>
  <CreateTime>1571732272</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[sys_approval_change]]></Event>
  <AgentID>3010040</AgentID>
  <ApprovalInfo>
    <SpNo>201910220003</SpNo>
    <SpName><![CDATA[示例模板]]></SpName>
    <SpStatus>1</SpStatus>
    <TemplateId><![CDATA[3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7aaa]]></TemplateId>
    <ApplyTime>1571728713</ApplyTime>
    <Applyer>
      <UserId><![CDATA[WuJunJie]]></UserId>
      <Party><![CDATA[1]]></Party>
    </Applyer>
    <SpRecord>
      <SpStatus>1</SpStatus>
      <ApproverAttr>2</ApproverAttr>
      <Details>
        <Approver>
          <UserId><![CDATA[WangXiaoMing]]></UserId>
        </Approver>
        <Speech><![CDATA[]]></Speech>
        <SpStatus>1</SpStatus>
        <SpTime>0</SpTime>
      </Details>
      <Details>
        <Approver>
          <UserId><![CDATA[XiaoGangHuang]]></UserId>
        </Approver>
        <Speech><![CDATA[]]></Speech>
        <SpStatus>1</SpStatus>
        <SpTime>0</SpTime>
      </Details>
    </SpRecord>
    <SpRecord>
      <SpStatus>1</SpStatus>
      <ApproverAttr>1</ApproverAttr>
      <Details>
        <Approver>
          <UserId><![CDATA[XiaoHongLiu]]></UserId>
        </Approver>
        <Speech><![CDATA[]]></Speech>
        <SpStatus>1</SpStatus>
        <SpTime>0</SpTime>
      </Details>
    </SpRecord>
    <Notifyer>
      <UserId><![CDATA[ChengLiang]]></UserId>
    </Notifyer>
    <Notifyer>
      <UserId><![CDATA[ChengLiang2]]></UserId>
    </Notifyer>
    <Comments>
      <CommentUserInfo>
        <UserId><![CDATA[LiuZhi]]></UserId>
      </CommentUserInfo>
      <CommentTime>1571732272</CommentTime>
      <CommentContent><![CDATA[这是一个备注]]></CommentContent>
      <CommentId><![CDATA[6750538708562308220]]></CommentId>
    </Comments>
    <Comments>
      <CommentUserInfo>
        <UserId><![CDATA[LiuZhi2]]></UserId>
      </CommentUserInfo>
      <CommentTime>15717322723</CommentTime>
      <CommentContent><![CDATA[这又是一个备注]]></CommentContent>
      <CommentId><![CDATA[6750538708562308221]]></CommentId>
      <Attach>MediaId</Attach>
    </Comments>
    <StatuChangeEvent>10</StatuChangeEvent>
  </ApprovalInfo>
</xml>";
/// The POST body of WeCom's official `WXBizMsgCrypt` sample.
const WECOM_ENVELOPE: &str = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

fn create_body() -> serde_json::Value {
    json!({"task_id": "task-1", "conversation_id": "conv-1", "request_id": "req-1",
        "loop_type": "approval", "platform": "GoHumanLoopHub",
        "context": {"message": {"function_name": "write_file", "arguments": {"path": "/tmp/x"}},
                    "question": "May I write /tmp/x?", "additional": "审批"},
        "metadata": {"timeout": 3600, "channels": ["slack"]}})
}

#[test]
#[ignore = "writes the seed corpus"]
fn write_seeds() {
    // The original protocol: bodies as the Python client sends them, and queries.
    let create = create_body();
    write("original_api", "create.json", create.to_string());
    let mut with_timeout = create.clone();
    with_timeout["timeout"] = json!(60);
    write(
        "original_api",
        "create-timeout.json",
        with_timeout.to_string(),
    );
    write(
        "original_api",
        "continue.json",
        json!({"task_id": "task-1", "conversation_id": "conv-1",
        "request_id": "req-2", "platform": "GoHumanLoopHub", "context": {"message": "and then?"},
        "metadata": {}})
        .to_string(),
    );
    write(
        "original_api",
        "cancel.json",
        json!({"conversation_id": "conv-1",
        "request_id": "req-1", "platform": "GoHumanLoopHub"})
        .to_string(),
    );
    write(
        "original_api",
        "cancel-conversation.json",
        json!({"conversation_id": "conv-1",
        "platform": "GoHumanLoopHub"})
        .to_string(),
    );
    write(
        "original_api",
        "resume.json",
        json!({"conversation_id": "conv-1",
        "request_id": "req-1", "platform": "GoHumanLoopHub", "wait": 25})
        .to_string(),
    );
    write(
        "original_api",
        "tasks-sync.json",
        json!({"task_id": "task-1",
        "timestamp": "2026-01-31T12:00:00.123456",
        "metadata": {"source": "gohumanloop", "client_version": "0.0.15"},
        "conversations": [{"conversation_id": "conv-1", "provider_id": "hub",
            "requests": [{"request_id": "req-1", "status": "approved", "loop_type": "approval",
                "response": {"decision": "approved"}, "feedback": {}, "responded_by": "bob",
                "responded_at": "2026-01-31T12:01:00", "error": null}]}]})
        .to_string(),
    );
    write(
        "original_api",
        "status-query.txt",
        "conversation_id=conv-1&request_id=req-1&platform=GoHumanLoopHub&wait=25",
    );
    write("original_api", "tasks-query.txt", "after=task-1");

    // The answering API.
    write("answering_api", "approve-empty.json", "");
    write(
        "answering_api",
        "approve.json",
        json!({"reason": "Looks safe"}).to_string(),
    );
    write(
        "answering_api",
        "approve-edited.json",
        json!({"reason": "with a safer path",
        "arguments": {"path": "/tmp/y", "force": false}})
        .to_string(),
    );
    write(
        "answering_api",
        "approve-grant.json",
        json!({"reason": "for an hour",
        "grant": {"function": "write_*", "arguments": {"/path": {"prefix": "/tmp/"}},
                  "duration_secs": 3600}})
        .to_string(),
    );
    write(
        "answering_api",
        "reject.json",
        json!({"reason": "not now",
        "response": {"decision": "rejected"}, "feedback": {"why": "risky"}})
        .to_string(),
    );
    write(
        "answering_api",
        "answer.json",
        json!({"text": "42"}).to_string(),
    );
    write(
        "answering_api",
        "reply-complete.json",
        json!({"text": "done", "complete": true}).to_string(),
    );
    write("answering_api", "list-query.txt",
        "status=pending,inprogress&loop_type=approval&platform=slack&task_id=t&conversation_id=c&created_after=2026-01-31T12:00:00Z&created_before=2026-02-01T00:00:00%2B08:00&limit=50&offset=10");

    // Signed links, and links to sign.
    let signer = LinkSigner::new(LINK_KEY.to_vec());
    for (name, action) in [
        ("approve", Action::Approve),
        ("reject", Action::Reject),
        ("answer", Action::Answer),
        ("reply", Action::Reply),
    ] {
        let link = Link {
            request_id: "0196f1c2-5d1e-7c0e-9a51-3a1f0e6d7c88".into(),
            action,
            expires_at: 2_000_000_000,
            recipient: "approver@ghl.test".into(),
        };
        let token = signer.sign(&link);
        assert!(signer.verify(&token, LINK_NOW).is_ok());
        write("signed_link", &format!("token-{name}.txt"), token);
    }
    write(
        "signed_link",
        "link-parts.txt",
        "0196f1c2-5d1e-7c0e\n审批人 <approver@ghl.test>\n\x00\x00\x00\x00\x77\x35\x74\x00",
    );

    // Webhook decisions, signed.
    let secret = WebhookSecret::from_bytes(WEBHOOK_KEY.to_vec());
    for (name, body) in [
        (
            "approve",
            json!({"request_id": "0196f1c2-5d1e-7c0e-9a51-3a1f0e6d7c88", "decision": "approve",
            "arguments": {"path": "/tmp/y"}, "actor": "bob", "actor_name": "Bob Smith"}),
        ),
        (
            "reject",
            json!({"request_id": "r1", "decision": "reject", "text": "not now",
            "actor": "bob", "actor_name": "Bob Smith"}),
        ),
        (
            "complete",
            json!({"request_id": "r2", "decision": "complete", "text": "thanks"}),
        ),
    ] {
        let body = body.to_string();
        let id = format!("msg_2Lxf{name}");
        let signature = format!(
            "v1a,AAAA {}",
            webhook::sign(
                std::slice::from_ref(&secret),
                &id,
                WEBHOOK_NOW,
                body.as_bytes()
            )
        );
        write(
            "webhook_signature",
            &format!("{name}.txt"),
            format!("{id}\n{WEBHOOK_NOW}\n{signature}\n{body}"),
        );
    }

    // Slack: the hub's fixture interaction, signed; Slack's published example.
    let click = "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U2CERLKJA%22%7D%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22approve%22%2C%22value%22%3A%22r-1%22%7D%5D%7D&note=ok+%E2%9C%93";
    let at = SLACK_NOW.to_string();
    write(
        "slack_interaction",
        "block-actions.txt",
        format!(
            "{at}\n{}\n{click}",
            slack::sign(SLACK_SECRET, &at, click.as_bytes())
        ),
    );
    let submission = serde_json::to_string(&json!({"type": "view_submission",
        "user": {"id": "U2CERLKJA", "username": "roadrunner", "name": "Road Runner"},
        "view": {"callback_id": "ghl:reject", "private_metadata": "r-1",
                 "state": {"values": {"text": {"text": {"type": "plain_text_input", "value": "不行"}}}}}})).unwrap();
    let form = format!("payload={}", percent(&submission));
    write(
        "slack_interaction",
        "view-submission.txt",
        format!(
            "{at}\n{}\n{form}",
            slack::sign(SLACK_SECRET, &at, form.as_bytes())
        ),
    );
    write("slack_interaction", "published-example.txt", "1531420618\nv0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503\ntoken=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");

    // Feishu: the hub's fixture card action and the URL verification, encrypted and signed;
    // Feishu's published decryption sample.
    let card_action = json!({"schema": "2.0",
        "header": {"event_id": "f7984f25108f8137722bb63cee927e66", "event_type": "card.action.trigger",
                   "app_id": "cli_a1b2c3", "tenant_key": "736588c9260f175d", "create_time": "1764720000000",
                   "token": FEISHU_TOKEN},
        "event": {"operator": {"tenant_key": "736588c9260f175d", "open_id": "ou_7dab8a3d3cdcc9da365777c7ad535d62"},
                  "token": "c-6f1e0b8a",
                  "action": {"value": {"request": "r-1", "decision": "approve", "note": "同意部署 ✓"},
                             "tag": "button", "form_value": {"text": "理由"}},
                  "host": "im_message",
                  "context": {"open_message_id": "om_x100b4", "open_chat_id": "oc_5ad11d72"}}}).to_string();
    let challenge = json!({"challenge": "ajls384kdjx98XX", "token": FEISHU_TOKEN,
        "type": "url_verification"})
    .to_string();
    let ts = FEISHU_NOW.to_string();
    for (name, plain) in [("card-action", &card_action), ("challenge", &challenge)] {
        let body = json!({"encrypt": feishu::encrypt(FEISHU_KEY, plain, [9; 16])}).to_string();
        let sig = feishu::event_signature(&ts, "nonce-1", FEISHU_KEY, body.as_bytes());
        write(
            "feishu_callback",
            &format!("{name}.txt"),
            format!("{ts}\nnonce-1\n{sig}\n{body}"),
        );
        write(
            "feishu_callback",
            &format!("{name}-plain.txt"),
            format!("{ts}\nnonce-1\n\n{plain}"),
        );
    }
    write(
        "feishu_callback",
        "published-sample.txt",
        "1\nn\nx\nFJ9rwO9SJE+ZUGr2ZmCAMpFz5bMw8Kn4xVUX3Kif/PI=",
    );
    let v1 = feishu::card_signature_v1(&ts, "nonce-2", FEISHU_TOKEN, card_action.as_bytes());
    write(
        "feishu_callback",
        "card-v1.txt",
        format!("{ts}\nnonce-2\n{v1}\n{card_action}"),
    );

    // WeCom: the published samples, encrypted and signed with the published keys.
    let crypto = WecomCrypto::new(WECOM_TOKEN, WECOM_AES_KEY, WECOM_RECEIVE_ID).unwrap();
    let ts = WECOM_NOW.to_string();
    for (name, plain) in [
        ("card-event", WECOM_CARD_EVENT),
        ("approval-event", WECOM_APPROVAL_EVENT),
    ] {
        let encrypted = crypto.encrypt(plain, [3; 16]);
        let sig = crypto.signature(&ts, "1372623149", &encrypted);
        let body = format!("<xml><ToUserName><![CDATA[{WECOM_RECEIVE_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>");
        write(
            "wecom_callback",
            &format!("{name}.txt"),
            format!("msg_signature={sig}&timestamp={ts}&nonce=1372623149\n{body}"),
        );
        write(
            "wecom_callback",
            &format!("{name}-plain.txt"),
            format!("\n{plain}"),
        );
    }
    write("wecom_callback", "published-envelope.txt",
        format!("msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149\n{WECOM_ENVELOPE}"));
    let echostr = crypto.encrypt("1616140317555161061", [5; 16]);
    let sig = crypto.signature(&ts, "263014780", &echostr);
    write(
        "wecom_callback",
        "url-check.txt",
        format!(
            "msg_signature={sig}&timestamp={ts}&nonce=263014780&echostr={}\n",
            percent(&echostr)
        ),
    );

    // MCP: what a client sends.
    write(
        "mcp_bridge",
        "initialize.json",
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}},
                   "clientInfo": {"name": "fuzz", "version": "1.0"}}})
        .to_string(),
    );
    write(
        "mcp_bridge",
        "initialized.json",
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
    );
    write(
        "mcp_bridge",
        "tools-list.json",
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string(),
    );
    write(
        "mcp_bridge",
        "call-approval.json",
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "request_approval", "arguments": {"question": "May I delete /tmp/x?",
            "context": "cleanup", "function_name": "delete_file", "arguments": {"path": "/tmp/x"},
            "wait_seconds": 30, "timeout_seconds": 600, "metadata": {"channels": ["slack"]}}}})
        .to_string(),
    );
    write("mcp_bridge", "call-continue.json", json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "continue_conversation", "arguments": {"conversation_id": "c-1", "message": "继续"}}}).to_string());
    write("mcp_bridge", "call-answer.json", json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "answer_request", "arguments": {"conversation_id": "c-1", "request_id": "r-1",
            "action": "reject", "text": "no"}}}).to_string());
    write(
        "mcp_bridge",
        "elicit-result.json",
        json!({"jsonrpc": "2.0", "id": 5,
        "result": {"action": "accept", "content": {"decision": "approve", "reason": "fine"}}})
        .to_string(),
    );
    write(
        "mcp_bridge",
        "request-state.txt",
        gohumanloop_mcp::fuzzing::seal_request_state(STATE_KEY, "c-1", "r-1", 30).unwrap(),
    );
    write("mcp_bridge", "state-parts.txt", "c-1\nr-1\n");
}

/// Percent-encodes everything but unreserved characters (as a form does).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
