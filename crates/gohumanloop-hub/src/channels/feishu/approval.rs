//! The original's OA mode, per route (`approval = "APPROVAL_CODE"`): instead of a card, an
//! instance of a Feishu approval definition is created on behalf of the route's recipient
//! (approval v4), its text control holding the request; Feishu's own approval flow decides,
//! and its `approval_instance` events come back as decisions. A decision made elsewhere
//! cancels the instance.

use reqwest::Method;
use serde_json::{json, Value};

use super::api::{receive_id, FeishuApi};
use crate::channels::chat::card::Card;
use crate::channels::{Delivered, DeliveryError};
use crate::core::{Action, Decision};
use crate::record::RequestRecord;

/// The user an instance is created for: `open_id` or `user_id`, as the recipient is named.
fn applicant(recipient: &str) -> (&'static str, &str) {
    match receive_id(recipient) {
        ("user_id", id) => ("user_id", id),
        (_, id) => ("open_id", id),
    }
}

/// Creates the approval instance of `record` for `recipient`.
pub(super) async fn create(
    api: &FeishuApi,
    approval_code: &str,
    field: &str,
    record: &RequestRecord,
    card: &Card,
    recipient: &str,
) -> Result<Delivered, DeliveryError> {
    let (id_type, user) = applicant(recipient);
    let form = json!([{"id": field, "type": "textarea", "value": card.text()}]).to_string();
    // Feishu drops a second instance with the same uuid (at most 64 characters): one per
    // request and applicant, so that a retry after a time-out creates no second one.
    let applicant_part: String = user
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect();
    let uuid = format!("{}-{applicant_part}", record.id);
    let mut body = json!({"approval_code": approval_code, "form": form, "uuid": uuid});
    body[id_type] = json!(user);
    let created = api
        .call(
            "Feishu create approval instance",
            Method::POST,
            "/open-apis/approval/v4/instances",
            &body,
        )
        .await?;
    let Some(instance) = created["instance_code"].as_str() else {
        return Err(DeliveryError::Retry(
            "Feishu create approval instance: no instance_code".into(),
        ));
    };
    Ok(Delivered::Sent {
        reference: instance.to_owned(),
        data: Some(json!({"mode": "approval", "instance_code": instance,
                          "approval_code": approval_code, "id_type": id_type, "user": user})),
    })
}

/// Cancels the instance a delivery created (the request was decided elsewhere, expired or
/// cancelled); one that Feishu already closed stays as it is.
pub(super) async fn cancel(api: &FeishuApi, data: &Value) -> Result<(), DeliveryError> {
    let field = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    let mut body = json!({"approval_code": field("approval_code"),
                          "instance_code": field("instance_code")});
    body["user_id"] = json!(field("user"));
    let path = format!(
        "/open-apis/approval/v4/instances/cancel?user_id_type={}",
        field("id_type")
    );
    match api
        .call(
            "Feishu cancel approval instance",
            Method::POST,
            &path,
            &body,
        )
        .await
    {
        // The instance had already ended in Feishu (approved, rejected or cancelled there).
        Err(DeliveryError::Permanent(why)) if why.contains("code 1390") => Ok(()),
        other => other.map(drop),
    }
}

/// What an instance's new status decides: approved, rejected, or withdrawn (cancelled or
/// deleted in Feishu); nothing for the others (pending, reverted, …).
pub fn decision(status: &str, language_zh: bool) -> Option<Decision> {
    let reason = if language_zh {
        "在飞书审批中拒绝"
    } else {
        "rejected in the Feishu approval"
    };
    match status {
        "APPROVED" => Some(Decision::new(Action::Approve, "")),
        "REJECTED" => Some(Decision::new(Action::Reject, reason)),
        "CANCELED" | "DELETED" => Some(Decision::new(Action::Cancel, "")),
        _ => None,
    }
}
