//! Published examples:
//!
//! - `template_card_event`: the example of doc path 90240 as WxJava reproduces it in
//!   `weixin-java-cp/src/test/java/me/chanjar/weixin/cp/bean/message/WxCpXmlMessageTest.java`
//!   (`testTemplateCardEvent`, binarywang/WxJava);
//! - `sys_approval_change`: the example of doc path 91815 as Senparc reproduces it, marked
//!   "官方提供", in `RequestMessageEvent_SysApprovalChangeTest` (JeffreySu/WeiXinMPSDK, the
//!   Work SDK's approval message-handler tests);
//! - the envelope: the POST body of the official `WXBizMsgCrypt` samples (doc path 91144,
//!   also in w7corp/easywechat `tests/Work/ServerTest.php`);
//! - `update_button`: the passive-reply format of doc path 96469 (and 90241),
//!   `<MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName>…</ReplaceName></Button>`.

use super::*;

/// WxJava's `testTemplateCardEvent`, verbatim but for Java's string concatenation.
const CARD_EVENT: &str = "<xml>
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

/// Doc path 91815's example (via Senparc's test, "官方提供").
const APPROVAL_EVENT: &str = "<xml>
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

/// The official samples' POST body.
const ENVELOPE: &str = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";

/// The first `n` characters.
fn cut(xml: &str, n: usize) -> &str {
    xml.char_indices().nth(n).map_or(xml, |(i, _)| &xml[..i])
}

fn approval_of(xml: &str) -> ApprovalEvent {
    match parse_event(xml).unwrap() {
        Event::ApprovalChanged(event) => event,
        other => panic!("not an approval: {other:?}"),
    }
}

#[test]
fn the_published_envelope_is_read() {
    let envelope = parse_envelope(ENVELOPE).unwrap();
    assert_eq!(envelope.to_user_name, "wx5823bf96d3bd56c7");
    assert_eq!(envelope.agent_id.as_deref(), Some("218"));
    assert!(envelope.encrypt.starts_with("RypEvHKD8QQK"));
    assert!(envelope.encrypt.ends_with("qN+E7Q=="));
    // Pretty-printed, and without AgentID (WeCom sends both).
    let pretty = "<xml>\n  <ToUserName><![CDATA[ww1]]></ToUserName>\n  \
                  <Encrypt><![CDATA[abc=]]></Encrypt>\n  <AgentID></AgentID>\n</xml>";
    let envelope = parse_envelope(pretty).unwrap();
    assert_eq!(envelope.encrypt, "abc=");
    assert_eq!(envelope.agent_id, None);
    assert_eq!(
        parse_envelope("<xml><ToUserName>ww1</ToUserName></xml>"),
        Err(XmlError::Missing("Encrypt"))
    );
    assert_eq!(
        parse_envelope("<xml><Encrypt><![CDATA[]]></Encrypt></xml>"),
        Err(XmlError::Missing("Encrypt"))
    );
}

#[test]
fn the_published_template_card_event_is_read() {
    let Event::CardClicked(card) = parse_event(CARD_EVENT).unwrap() else {
        panic!("a card event")
    };
    assert_eq!(
        card,
        CardEvent {
            from_user: "FromUser".into(),
            to_user: "toUser".into(),
            create_time: 123_456_789,
            event_key: "key111".into(),
            task_id: "taskid111".into(),
            card_type: "text_notice".into(),
            response_code: "ResponseCode".into(),
            agent_id: Some("1".into()),
            selected: vec![
                (
                    "QuestionKey1".into(),
                    vec!["OptionId1".into(), "OptionId2".into()]
                ),
                (
                    "QuestionKey2".into(),
                    vec!["OptionId3".into(), "OptionId4".into()]
                ),
            ],
        }
    );
}

#[test]
fn a_button_click_without_selections_is_read() {
    let xml = "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>\
               <CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>\
               <Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[approve]]></EventKey>\
               <TaskId><![CDATA[ghl-r1_x@y]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>\
               <ResponseCode><![CDATA[rc-1]]></ResponseCode><AgentID>1000002</AgentID></xml>";
    let Event::CardClicked(card) = parse_event(xml).unwrap() else {
        panic!("a card event")
    };
    assert_eq!(card.from_user, "zhangsan");
    assert_eq!(card.event_key, "approve");
    assert_eq!(card.task_id, "ghl-r1_x@y");
    assert_eq!(card.card_type, "button_interaction");
    assert!(card.selected.is_empty());
    // A card event must say who clicked, on which card, when.
    for (cut, missing) in [
        (
            "<FromUserName><![CDATA[zhangsan]]></FromUserName>",
            "FromUserName",
        ),
        ("<TaskId><![CDATA[ghl-r1_x@y]]></TaskId>", "TaskId"),
        ("<CreateTime>1700000000</CreateTime>", "CreateTime"),
    ] {
        assert_eq!(
            parse_event(&xml.replace(cut, "")),
            Err(XmlError::Missing(missing))
        );
    }
    assert_eq!(
        parse_event(&xml.replace("1700000000", "soon")),
        Err(XmlError::BadNumber("CreateTime"))
    );
}

#[test]
fn the_published_approval_change_is_read() {
    let event = approval_of(APPROVAL_EVENT);
    assert_eq!(event.to_user, "ww1cSD21f1e9c0caaa");
    assert_eq!(event.create_time, 1_571_732_272);
    assert_eq!(event.agent_id.as_deref(), Some("3010040"));
    assert_eq!(event.sp_no, "201910220003");
    assert_eq!(event.sp_name, "示例模板");
    assert_eq!(event.status, ApprovalStatus::Pending);
    assert_eq!(
        event.template_id,
        "3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7aaa"
    );
    assert_eq!(event.apply_time, Some(1_571_728_713));
    assert_eq!(event.applicant.as_deref(), Some("WuJunJie"));
    assert_eq!(event.change_event, Some(10));
    assert_eq!(event.decider, None, "nobody has acted yet");
}

/// The published example after decisions: the first approver agreed, then XiaoHongLiu
/// rejected with a comment.
fn decided() -> String {
    let first = "<UserId><![CDATA[WangXiaoMing]]></UserId>\n        </Approver>\n        \
                 <Speech><![CDATA[]]></Speech>\n        <SpStatus>1</SpStatus>\n        \
                 <SpTime>0</SpTime>";
    let last = "<UserId><![CDATA[XiaoHongLiu]]></UserId>\n        </Approver>\n        \
                <Speech><![CDATA[]]></Speech>\n        <SpStatus>1</SpStatus>\n        \
                <SpTime>0</SpTime>";
    assert!(APPROVAL_EVENT.contains(first) && APPROVAL_EVENT.contains(last));
    APPROVAL_EVENT
        .replace(
            first,
            "<UserId><![CDATA[WangXiaoMing]]></UserId></Approver>\
             <Speech><![CDATA[ok]]></Speech><SpStatus>2</SpStatus><SpTime>1571732000</SpTime>",
        )
        .replace(
            last,
            "<UserId><![CDATA[XiaoHongLiu]]></UserId></Approver>\
             <Speech><![CDATA[预算不足 ]]]]><![CDATA[>]]></Speech><SpStatus>3</SpStatus><SpTime>1571732200</SpTime>",
        )
        .replace("<SpStatus>1</SpStatus>\n    <TemplateId>", "<SpStatus>3</SpStatus>\n    <TemplateId>")
        .replace("<StatuChangeEvent>10</StatuChangeEvent>", "<StatuChangeEvent>3</StatuChangeEvent>")
}

#[test]
fn the_last_deciding_approver_is_found() {
    let event = approval_of(&decided());
    assert_eq!(event.status, ApprovalStatus::Rejected);
    assert_eq!(event.change_event, Some(3));
    assert_eq!(
        event.decider,
        Some(Decision {
            approver: "XiaoHongLiu".into(),
            action: ApproverAction::Rejected,
            speech: "预算不足 ]]>".into(),
            time: 1_571_732_200,
        })
    );
}

#[test]
fn the_newer_process_list_and_sp_no_str_are_read() {
    // Doc path 91815 now also sends SpNoStr, and ProcessList instead of SpRecord.
    let xml = "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
        <CreateTime>1774540800</CreateTime><MsgType><![CDATA[event]]></MsgType>\
        <Event><![CDATA[sys_approval_change]]></Event><AgentID>3010040</AgentID><ApprovalInfo>\
        <SpNoStr><![CDATA[202607240001]]></SpNoStr><SpNo>202607240001</SpNo><SpName><![CDATA[采购审批]]></SpName>\
        <SpStatus>2</SpStatus><TemplateId><![CDATA[t-1]]></TemplateId><ApplyTime>1774540000</ApplyTime>\
        <Applyer><UserId><![CDATA[zhangsan]]></UserId><Party><![CDATA[1]]></Party></Applyer>\
        <ProcessList><NodeList><NodeType>1</NodeType><SpStatus>2</SpStatus><ApvRel>3</ApvRel>\
        <SubNodeList><UserInfo><UserId><![CDATA[lisi]]></UserId></UserInfo><Speech><![CDATA[同意]]></Speech>\
        <SpYj>2</SpYj><Sptime>1774540700</Sptime></SubNodeList></NodeList>\
        <NodeList><NodeType>2</NodeType><SpStatus>2</SpStatus>\
        <SubNodeList><UserInfo><UserId><![CDATA[copied]]></UserId></UserInfo><SpYj>2</SpYj><Sptime>1774540799</Sptime></SubNodeList>\
        </NodeList></ProcessList><StatuChangeEvent>2</StatuChangeEvent></ApprovalInfo></xml>";
    let event = approval_of(xml);
    assert_eq!(event.sp_no, "202607240001");
    assert_eq!(event.status, ApprovalStatus::Approved);
    assert_eq!(event.applicant.as_deref(), Some("zhangsan"));
    assert_eq!(
        event.decider,
        Some(Decision {
            approver: "lisi".into(),
            action: ApproverAction::Agreed,
            speech: "同意".into(),
            time: 1_774_540_700,
        }),
        "copied users (NodeType 2) do not decide"
    );
}

#[test]
fn approval_statuses_are_named() {
    for (n, status) in [
        (1, ApprovalStatus::Pending),
        (2, ApprovalStatus::Approved),
        (3, ApprovalStatus::Rejected),
        (4, ApprovalStatus::Revoked),
        (6, ApprovalStatus::RevokedAfterApproval),
        (7, ApprovalStatus::Deleted),
        (10, ApprovalStatus::Paid),
        (5, ApprovalStatus::Other(5)),
    ] {
        assert_eq!(ApprovalStatus::from(n), status);
        let xml = APPROVAL_EVENT.replace(
            "<SpStatus>1</SpStatus>\n    <TemplateId>",
            &format!("<SpStatus>{n}</SpStatus>\n    <TemplateId>"),
        );
        assert_eq!(approval_of(&xml).status, status);
    }
    assert_eq!(
        parse_event(&APPROVAL_EVENT.replace("<SpNo>201910220003</SpNo>", "")),
        Err(XmlError::Missing("SpNo"))
    );
    assert_eq!(
        parse_event(&APPROVAL_EVENT.replace(
            "<SpStatus>1</SpStatus>\n    <TemplateId>",
            "<SpStatus>yes</SpStatus>\n    <TemplateId>"
        )),
        Err(XmlError::BadNumber("SpStatus"))
    );
}

#[test]
fn other_messages_are_named_only() {
    let text = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n\
                <FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n\
                <MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n\
                <MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>";
    assert_eq!(
        parse_event(text),
        Ok(Event::Other {
            msg_type: "text".into(),
            event: None
        })
    );
    let menu = CARD_EVENT.replace("template_card_event", "template_card_menu_event");
    assert_eq!(
        parse_event(&menu),
        Ok(Event::Other {
            msg_type: "event".into(),
            event: Some("template_card_menu_event".into())
        })
    );
}

#[test]
fn garbage_is_an_error_never_a_panic() {
    for bad in [
        "",
        "hello",
        "<xml>",
        "<xml><MsgType>event</Event></xml>",
        "<<<>>>",
        "<xml><MsgType><![CDATA[event]]></MsgType><MsgType>text</MsgType></xml>",
        "\u{0}\u{1}",
        "{\"MsgType\":\"event\"}",
    ] {
        assert!(parse_event(bad).is_err(), "{bad:?}");
        assert!(parse_envelope(bad).is_err(), "{bad:?}");
    }
    // Every prefix of the published examples: an error or a shorter reading, never a panic.
    for xml in [CARD_EVENT, APPROVAL_EVENT, ENVELOPE] {
        for n in 0..xml.chars().count() {
            let _ = parse_event(cut(xml, n));
            let _ = parse_envelope(cut(xml, n));
        }
    }
    // Deeply nested unknown elements are skipped without exhausting the stack.
    let depth = 20_000;
    let deep = format!(
        "<xml><MsgType>text</MsgType>{}{}</xml>",
        "<A>".repeat(depth),
        "</A>".repeat(depth)
    );
    assert_eq!(
        parse_event(&deep),
        Ok(Event::Other {
            msg_type: "text".into(),
            event: None
        })
    );
    assert!(parse_event(&deep[..deep.len() - 10]).is_err());
    assert_eq!(
        parse_event("<xml><Event>x</Event></xml>"),
        Err(XmlError::Missing("MsgType"))
    );
    let malformed = parse_event("<xml><MsgType>").unwrap_err();
    assert!(matches!(malformed, XmlError::Malformed(_)), "{malformed:?}");
}

#[test]
fn the_passive_card_update_is_well_formed() {
    let reply = passive_card_update("zhangsan", "ww1", 1_700_000_000, "已批准");
    assert_eq!(
        reply,
        "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName>\
         <FromUserName><![CDATA[ww1]]></FromUserName><CreateTime>1700000000</CreateTime>\
         <MsgType><![CDATA[update_button]]></MsgType>\
         <Button><ReplaceName><![CDATA[已批准]]></ReplaceName></Button></xml>"
    );
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Reply {
        to_user_name: String,
        msg_type: String,
        button: Button,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Button {
        replace_name: String,
    }
    // A `]]>` in the text does not end the section early.
    let tricky = "Denied ]]><MsgType>text</MsgType> ]]]]>";
    let reply = passive_card_update("a]]>b", "ww1", 0, tricky);
    let read: Reply = quick_xml::de::from_str(&reply).unwrap();
    assert_eq!(read.button.replace_name, tricky);
    assert_eq!(read.to_user_name, "a]]>b");
    assert_eq!(read.msg_type, "update_button");
    assert_eq!(cdata("]]>"), "<![CDATA[]]]]><![CDATA[>]]>");
}
