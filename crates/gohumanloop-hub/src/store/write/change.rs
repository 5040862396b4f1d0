//! A status change applied to a request's record, the same on every backend: what the record
//! becomes and what its audit entry records. The conditional write itself is the backend's.

use serde_json::{json, Value};

use super::chain::Entry;
use crate::record::{ms_to_rfc3339, RequestRecord, Transition};

/// `record` as `change` leaves it at `now` (Unix ms).
pub(crate) fn changed(change: &Transition, mut record: RequestRecord, now: i64) -> RequestRecord {
    let now_text = ms_to_rfc3339(now);
    if change.response.is_some() {
        record.response = change.response.clone();
        record.feedback = change.feedback.clone();
        record.responded_by = Some(change.actor.clone());
        record.responded_at = Some(now_text.clone());
    }
    record.status = change.to;
    record.error = change.error.clone();
    record.updated_at = now_text;
    record
}

/// What the change's audit entry records besides the statuses.
pub(crate) fn detail(change: &Transition, record: &RequestRecord) -> Value {
    let mut detail = json!({
        "response": record.response,
        "feedback": record.feedback,
        "error": record.error,
    });
    if let (Some(name), Some(fields)) = (&change.actor_name, detail.as_object_mut()) {
        fields.insert("actor_name".into(), json!(name));
    }
    detail
}

/// The change's audit entry, from status `before`, with `detail` from [`detail`].
pub(crate) fn entry<'a>(
    change: &'a Transition,
    before: gohumanloop::model::Status,
    detail: &'a Value,
) -> Entry<'a> {
    Entry {
        tenant: change.tenant,
        request: &change.id,
        actor: &change.actor,
        channel: &change.channel,
        old: Some(before),
        new: change.to,
        detail,
    }
}
