//! WeCom callback XML: the POSTed envelope, the decrypted events the channel acts on (a click
//! in a `template_card`, a `sys_approval_change`), and the plaintext passive reply that turns
//! the clicking user's buttons into a label.
//!
//! Formats: the envelope and passive replies in
//! <https://developer.work.weixin.qq.com/document/path/91144> and path/96469 (被动回复消息格式,
//! "模板卡片更新消息"); `template_card_event` in path/90240; `sys_approval_change` in
//! path/91815 (审批申请状态变化回调通知).

use serde::Deserialize;

/// Why callback XML could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML, or not the expected shape.
    #[error("malformed WeCom callback XML: {0}")]
    Malformed(String),
    /// A required element is missing or empty.
    #[error("WeCom callback XML lacks <{0}>")]
    Missing(&'static str),
    /// A numeric element holds something else.
    #[error("WeCom callback XML: <{0}> is not a number")]
    BadNumber(&'static str),
}

/// The POSTed callback: `<xml><ToUserName/><AgentID/><Encrypt/></xml>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `ToUserName`: the CorpID (empty when absent).
    pub to_user_name: String,
    /// `AgentID`, when present and not empty.
    pub agent_id: Option<String>,
    /// `Encrypt`: the base64 ciphertext.
    pub encrypt: String,
}

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "ToUserName", default)]
    to_user_name: Option<String>,
    #[serde(rename = "AgentID", default)]
    agent_id: Option<String>,
    #[serde(rename = "Encrypt", default)]
    encrypt: Option<String>,
}

/// Reads a POSTed callback body.
pub fn parse_envelope(body: &str) -> Result<Envelope, XmlError> {
    let raw: RawEnvelope = from_str(body)?;
    Ok(Envelope {
        to_user_name: raw.to_user_name.map(trimmed).unwrap_or_default(),
        agent_id: present(raw.agent_id),
        encrypt: present(raw.encrypt).ok_or(XmlError::Missing("Encrypt"))?,
    })
}

/// A decrypted callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A button or selection of a `template_card` was clicked (`template_card_event`).
    CardClicked(CardEvent),
    /// An approval application changed (`sys_approval_change`).
    ApprovalChanged(ApprovalEvent),
    /// Anything else: a message, or another event.
    Other {
        /// `MsgType` (`text`, `event`, …).
        msg_type: String,
        /// `Event`, for events.
        event: Option<String>,
    },
}

/// A click in a `template_card` (`MsgType=event`, `Event=template_card_event`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardEvent {
    /// `FromUserName`: the clicking user's UserID.
    pub from_user: String,
    /// `ToUserName`: the CorpID.
    pub to_user: String,
    /// `CreateTime`, Unix seconds.
    pub create_time: i64,
    /// `EventKey`: the clicked button's `key`.
    pub event_key: String,
    /// `TaskId`: the card's `task_id`.
    pub task_id: String,
    /// `CardType` (`button_interaction`, …).
    pub card_type: String,
    /// `ResponseCode`: allows one update of the card (72 h).
    pub response_code: String,
    /// `AgentID`.
    pub agent_id: Option<String>,
    /// `SelectedItems`: each question's key and its chosen option ids.
    pub selected: Vec<(String, Vec<String>)>,
}

/// Every element any handled event has; the rest is skipped.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawEvent {
    to_user_name: Option<String>,
    from_user_name: Option<String>,
    create_time: Option<String>,
    msg_type: Option<String>,
    event: Option<String>,
    event_key: Option<String>,
    task_id: Option<String>,
    card_type: Option<String>,
    response_code: Option<String>,
    #[serde(rename = "AgentID")]
    agent_id: Option<String>,
    selected_items: Option<RawSelectedItems>,
    approval_info: Option<RawApprovalInfo>,
}

#[derive(Deserialize, Default)]
struct RawSelectedItems {
    #[serde(rename = "SelectedItem", default)]
    items: Vec<RawSelectedItem>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawSelectedItem {
    question_key: Option<String>,
    option_ids: Option<RawOptionIds>,
}

#[derive(Deserialize, Default)]
struct RawOptionIds {
    #[serde(rename = "OptionId", default)]
    ids: Vec<String>,
}

/// Reads a decrypted callback.
pub fn parse_event(plaintext: &str) -> Result<Event, XmlError> {
    let raw: RawEvent = from_str(plaintext)?;
    let msg_type = present(raw.msg_type.clone()).ok_or(XmlError::Missing("MsgType"))?;
    let event = present(raw.event.clone());
    match (msg_type.as_str(), event.as_deref()) {
        ("event", Some("template_card_event")) => Ok(Event::CardClicked(card(raw)?)),
        ("event", Some("sys_approval_change")) => {
            let info = raw.approval_info.ok_or(XmlError::Missing("ApprovalInfo"))?;
            Ok(Event::ApprovalChanged(approval(
                raw.to_user_name.map(trimmed).unwrap_or_default(),
                number(raw.create_time, "CreateTime")?,
                present(raw.agent_id),
                info,
            )?))
        }
        _ => Ok(Event::Other { msg_type, event }),
    }
}

fn card(raw: RawEvent) -> Result<CardEvent, XmlError> {
    let selected = raw
        .selected_items
        .unwrap_or_default()
        .items
        .into_iter()
        .map(|item| {
            let ids = item.option_ids.unwrap_or_default().ids;
            (
                item.question_key.map(trimmed).unwrap_or_default(),
                ids.into_iter().map(trimmed).collect(),
            )
        })
        .collect();
    Ok(CardEvent {
        from_user: present(raw.from_user_name).ok_or(XmlError::Missing("FromUserName"))?,
        to_user: raw.to_user_name.map(trimmed).unwrap_or_default(),
        create_time: number(raw.create_time, "CreateTime")?,
        event_key: raw.event_key.map(trimmed).unwrap_or_default(),
        task_id: present(raw.task_id).ok_or(XmlError::Missing("TaskId"))?,
        card_type: raw.card_type.map(trimmed).unwrap_or_default(),
        response_code: raw.response_code.map(trimmed).unwrap_or_default(),
        agent_id: present(raw.agent_id),
        selected,
    })
}

/// An approval application's change (`MsgType=event`, `Event=sys_approval_change`), for
/// applications of approval templates a self-built app may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalEvent {
    /// `ToUserName`: the CorpID.
    pub to_user: String,
    /// `CreateTime`, Unix seconds.
    pub create_time: i64,
    /// `AgentID`.
    pub agent_id: Option<String>,
    /// The application's number: `SpNoStr`, or `SpNo` where that is absent.
    pub sp_no: String,
    /// `SpName`: the template's name.
    pub sp_name: String,
    /// `SpStatus`: the application's state after this change.
    pub status: ApprovalStatus,
    /// `TemplateId`.
    pub template_id: String,
    /// `ApplyTime`, Unix seconds.
    pub apply_time: Option<i64>,
    /// `Applyer/UserId`: the applicant.
    pub applicant: Option<String>,
    /// `StatuChangeEvent` (sic): what changed (1 submitted, 2 agreed, 3 rejected, 4 transferred,
    /// 5 reminded, 6 revoked, 8 revoked after approval, 10 comment added, …).
    pub change_event: Option<u32>,
    /// The approver who acted last (agreed, rejected, …), with their comment.
    pub decider: Option<Decision>,
}

/// An application's state (`SpStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    /// 1: being approved.
    Pending,
    /// 2: approved.
    Approved,
    /// 3: rejected.
    Rejected,
    /// 4: revoked by the applicant.
    Revoked,
    /// 6: revoked after it was approved.
    RevokedAfterApproval,
    /// 7: deleted.
    Deleted,
    /// 10: paid.
    Paid,
    /// Any other value.
    Other(u32),
}

impl From<u32> for ApprovalStatus {
    fn from(value: u32) -> Self {
        match value {
            1 => Self::Pending,
            2 => Self::Approved,
            3 => Self::Rejected,
            4 => Self::Revoked,
            6 => Self::RevokedAfterApproval,
            7 => Self::Deleted,
            10 => Self::Paid,
            other => Self::Other(other),
        }
    }
}

/// What one approver did (`Details/SpStatus`, or `SpYj` in a `ProcessList`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproverAction {
    /// 1: not yet.
    Pending,
    /// 2: agreed.
    Agreed,
    /// 3: rejected.
    Rejected,
    /// 4: passed it on to another approver.
    Transferred,
    /// Any other value (a `ProcessList`'s 11 sent back, 12 added an approver, 13 added one and
    /// agreed, …).
    Other(u32),
}

impl From<u32> for ApproverAction {
    fn from(value: u32) -> Self {
        match value {
            1 => Self::Pending,
            2 => Self::Agreed,
            3 => Self::Rejected,
            4 => Self::Transferred,
            other => Self::Other(other),
        }
    }
}

/// An approver's act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The approver's UserID.
    pub approver: String,
    /// What they did.
    pub action: ApproverAction,
    /// Their comment (`Speech`), possibly empty.
    pub speech: String,
    /// When (`SpTime`), Unix seconds.
    pub time: i64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawApprovalInfo {
    sp_no: Option<String>,
    sp_no_str: Option<String>,
    sp_name: Option<String>,
    sp_status: Option<String>,
    template_id: Option<String>,
    apply_time: Option<String>,
    applyer: Option<RawUser>,
    #[serde(default)]
    sp_record: Vec<RawSpRecord>,
    process_list: Option<RawProcessList>,
    statu_change_event: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawUser {
    #[serde(rename = "UserId")]
    user_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawSpRecord {
    #[serde(default)]
    details: Vec<RawDetail>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawDetail {
    approver: Option<RawUser>,
    speech: Option<String>,
    sp_status: Option<String>,
    sp_time: Option<String>,
}

/// The newer form of the flow: `ProcessList/NodeList/SubNodeList`.
#[derive(Deserialize, Default)]
struct RawProcessList {
    #[serde(rename = "NodeList", default)]
    nodes: Vec<RawNode>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawNode {
    /// 1 approver, 2 copied, 3 handler.
    node_type: Option<String>,
    #[serde(rename = "SubNodeList", default)]
    sub_nodes: Vec<RawSubNode>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawSubNode {
    user_info: Option<RawUser>,
    speech: Option<String>,
    sp_yj: Option<String>,
    sptime: Option<String>,
}

fn approval(
    to_user: String,
    create_time: i64,
    agent_id: Option<String>,
    info: RawApprovalInfo,
) -> Result<ApprovalEvent, XmlError> {
    let status = small(info.sp_status, "SpStatus")?.ok_or(XmlError::Missing("SpStatus"))?;
    let from_records = info.sp_record.into_iter().flat_map(|r| r.details).map(|d| {
        act(
            d.approver,
            d.speech,
            (d.sp_status, "SpStatus"),
            (d.sp_time, "SpTime"),
        )
    });
    let from_process = info
        .process_list
        .unwrap_or_default()
        .nodes
        .into_iter()
        .filter(|n| n.node_type.as_deref().map(str::trim) != Some("2"))
        .flat_map(|n| n.sub_nodes)
        .map(|s| {
            act(
                s.user_info,
                s.speech,
                (s.sp_yj, "SpYj"),
                (s.sptime, "Sptime"),
            )
        });
    let mut acts = Vec::new();
    for act in from_records.chain(from_process) {
        acts.extend(act?);
    }
    Ok(ApprovalEvent {
        to_user,
        create_time,
        agent_id,
        sp_no: present(info.sp_no_str)
            .or(present(info.sp_no))
            .ok_or(XmlError::Missing("SpNo"))?,
        sp_name: info.sp_name.map(trimmed).unwrap_or_default(),
        status: ApprovalStatus::from(status),
        template_id: info.template_id.map(trimmed).unwrap_or_default(),
        apply_time: optional_number(info.apply_time, "ApplyTime")?,
        applicant: info.applyer.and_then(|a| present(a.user_id)),
        change_event: small(info.statu_change_event, "StatuChangeEvent")?,
        // The latest act; of equal times, the later in the document.
        decider: acts.into_iter().max_by_key(|d| d.time),
    })
}

/// An approver's act, unless they have not acted yet or are not named.
fn act(
    user: Option<RawUser>,
    speech: Option<String>,
    (status, status_name): (Option<String>, &'static str),
    (time, time_name): (Option<String>, &'static str),
) -> Result<Option<Decision>, XmlError> {
    let action = match small(status, status_name)? {
        None => return Ok(None),
        Some(n) => ApproverAction::from(n),
    };
    let Some(approver) = user.and_then(|u| present(u.user_id)) else {
        return Ok(None);
    };
    if action == ApproverAction::Pending {
        return Ok(None);
    }
    Ok(Some(Decision {
        approver,
        action,
        speech: speech.map(trimmed).unwrap_or_default(),
        time: optional_number(time, time_name)?.unwrap_or(0),
    }))
}

/// The plaintext passive reply ("模板卡片更新消息", `MsgType=update_button`) that turns the
/// clicking user's buttons into the unclickable label `replace_name`. `to_user` is the
/// clicking user, `from_user` the CorpID. Encrypt it with
/// [`WecomCrypto::seal_reply`](super::crypto::WecomCrypto::seal_reply).
pub fn passive_card_update(
    to_user: &str,
    from_user: &str,
    create_time: i64,
    replace_name: &str,
) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[update_button]]></MsgType>\
         <Button><ReplaceName>{}</ReplaceName></Button></xml>",
        cdata(to_user),
        cdata(from_user),
        cdata(replace_name),
    )
}

/// `text` as a CDATA section; a `]]>` inside is split across two sections.
pub(crate) fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, XmlError> {
    quick_xml::de::from_str(text).map_err(|e| XmlError::Malformed(e.to_string()))
}

fn trimmed(text: String) -> String {
    match text.trim() {
        same if same.len() == text.len() => text,
        other => other.to_owned(),
    }
}

/// The text, trimmed, unless absent or blank.
fn present(text: Option<String>) -> Option<String> {
    text.map(trimmed).filter(|t| !t.is_empty())
}

fn number(text: Option<String>, name: &'static str) -> Result<i64, XmlError> {
    present(text)
        .ok_or(XmlError::Missing(name))?
        .parse()
        .map_err(|_| XmlError::BadNumber(name))
}

fn optional_number(text: Option<String>, name: &'static str) -> Result<Option<i64>, XmlError> {
    present(text)
        .map(|t| t.parse().map_err(|_| XmlError::BadNumber(name)))
        .transpose()
}

fn small(text: Option<String>, name: &'static str) -> Result<Option<u32>, XmlError> {
    present(text)
        .map(|t| t.parse().map_err(|_| XmlError::BadNumber(name)))
        .transpose()
}

#[cfg(test)]
mod tests;
