//! The original's OA mode, per route (`approval = "TEMPLATE_ID"`): instead of a card, an
//! approval application of that template is filed on behalf of the route's recipient
//! (`oa/applyevent`, the template's own approvers), its text control holding the request;
//! WeCom's approval flow decides, and its `sys_approval_change` events come back as decisions,
//! recorded as the approver who acted. WeCom has no call to withdraw an application: a
//! decision made elsewhere leaves it open there (the request page says so).

use serde_json::json;

use super::api::WecomApi;
use super::xml::{ApprovalEvent, ApprovalStatus};
use crate::channels::chat::card::Card;
use crate::channels::{Delivered, DeliveryError};
use crate::core::{Action, Decision};

/// Files the application of `card` for `recipient` with template `template_id`.
pub(super) async fn apply(
    api: &WecomApi,
    template_id: &str,
    field: &str,
    card: &Card,
    recipient: &str,
) -> Result<Delivered, DeliveryError> {
    let short: String = card.title.chars().take(20).collect();
    let body = json!({
        "creator_userid": recipient,
        "template_id": template_id,
        "use_template_approver": 1,
        "apply_data": {"contents": [
            {"control": "Textarea", "id": field, "value": {"text": card.text()}}
        ]},
        "summary_list": [{"summary_info": [{"text": short, "lang": "zh_CN"}]}],
    });
    let applied = api
        .post("WeCom oa/applyevent", "/cgi-bin/oa/applyevent", &body)
        .await?;
    let Some(sp_no) = applied["sp_no"].as_str() else {
        return Err(DeliveryError::Retry("WeCom oa/applyevent: no sp_no".into()));
    };
    Ok(Delivered::Sent {
        reference: sp_no.to_owned(),
        data: Some(
            json!({"mode": "approval", "sp_no": sp_no, "template_id": template_id,
                          "user": recipient}),
        ),
    })
}

/// What an application's new state decides, and who acted: approved or rejected (with the
/// approver's comment), withdrawn (revoked or deleted); nothing while it is pending.
pub fn decision(event: &ApprovalEvent, language_zh: bool) -> Option<(Decision, Option<String>)> {
    let speech = event
        .decider
        .as_ref()
        .map(|d| d.speech.clone())
        .unwrap_or_default();
    let approver = event.decider.as_ref().map(|d| d.approver.clone());
    let decision = match event.status {
        ApprovalStatus::Approved => Decision::new(Action::Approve, &speech),
        ApprovalStatus::Rejected => {
            let reason = if !speech.trim().is_empty() {
                speech
            } else if language_zh {
                "在企业微信审批中驳回".to_owned()
            } else {
                "rejected in the WeCom approval".to_owned()
            };
            Decision::new(Action::Reject, &reason)
        }
        ApprovalStatus::Revoked
        | ApprovalStatus::RevokedAfterApproval
        | ApprovalStatus::Deleted => Decision::new(Action::Cancel, ""),
        _ => return None,
    };
    Some((decision, approver))
}
