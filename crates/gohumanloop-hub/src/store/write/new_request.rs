//! New requests made ready to store, the same on every backend: their JSON rendered once, their
//! audit entry, the record a create answers with, and whether a repeat is identical.

use gohumanloop::model::Status;
use serde_json::{json, Value};

use super::chain::Entry;
use crate::audit::sha256_hex;
use crate::record::{ms_to_rfc3339, CreateOutcome, NewRequest, RequestRecord};

/// A request with its JSON columns rendered once.
pub(crate) struct Prepared<'a> {
    /// The request.
    pub request: &'a NewRequest,
    /// Its context as a value.
    pub context: Value,
    /// Its metadata as a value.
    pub metadata: Value,
    /// Its context as stored.
    pub context_text: String,
}

/// Renders each request's JSON once.
pub(crate) fn prepare<'a>(requests: &[&'a NewRequest]) -> Vec<Prepared<'a>> {
    requests
        .iter()
        .map(|r| {
            let context = Value::Object(r.context.clone());
            Prepared {
                request: r,
                context_text: context.to_string(),
                context,
                metadata: Value::Object(r.metadata.clone()),
            }
        })
        .collect()
}

impl Prepared<'_> {
    /// What its create's audit entry records besides the status: its identity and a digest of
    /// its context.
    pub(crate) fn detail(&self) -> Value {
        let r = self.request;
        json!({
            "task_id": r.task_id,
            "conversation_id": r.key.conversation_id,
            "request_id": r.key.request_id,
            "platform": r.key.platform,
            "loop_type": r.loop_type,
            "context_sha256": sha256_hex(self.context_text.as_bytes()),
        })
    }

    /// Its create's audit entry, with `detail` from [`Prepared::detail`].
    pub(crate) fn entry<'a>(&'a self, detail: &'a Value) -> Entry<'a> {
        Entry {
            tenant: self.request.key.tenant,
            request: &self.request.id,
            actor: &self.request.actor,
            channel: &self.request.channel,
            old: None,
            new: Status::Pending,
            detail,
        }
    }

    /// What a create answers when the same ids were stored before as `existing`: an identical
    /// repeat, or a conflict.
    pub(crate) fn compared_with(&self, existing: RequestRecord) -> CreateOutcome {
        let r = self.request;
        let same = existing.task_id == r.task_id
            && existing.loop_type == r.loop_type
            && existing.context == self.context
            && existing.metadata == self.metadata;
        if same {
            CreateOutcome::AlreadyExists(Box::new(existing))
        } else {
            CreateOutcome::Conflict(Box::new(existing))
        }
    }

    /// The record of the request as just stored.
    pub(crate) fn into_record(self) -> RequestRecord {
        let r = self.request;
        let created = ms_to_rfc3339(r.created_at);
        RequestRecord {
            id: r.id.clone(),
            tenant: r.key.tenant,
            task_id: r.task_id.clone(),
            conversation_id: r.key.conversation_id.clone(),
            request_id: r.key.request_id.clone(),
            platform: r.key.platform.clone(),
            loop_type: r.loop_type,
            context: self.context,
            metadata: self.metadata,
            status: Status::Pending,
            response: None,
            feedback: None,
            responded_by: None,
            responded_at: None,
            error: None,
            created_at: created.clone(),
            updated_at: created,
            deadline_at: r.deadline_at.map(ms_to_rfc3339),
            plan: r.plan.clone(),
            tally: None,
        }
    }
}

/// `pub(crate) fn push_insert(q: &mut QueryBuilder<$db>, verb: &str, rows: &[Prepared])`:
/// `<verb> INTO requests (…) VALUES (…), …` for these rows, on the backend `$db`.
macro_rules! requests_push_insert {
    ($db:ty) => {
        /// `<verb> INTO requests (…) VALUES (…), …` for these rows.
        fn push_insert(
            q: &mut sqlx::QueryBuilder<$db>,
            verb: &str,
            rows: &[$crate::store::write::new_request::Prepared<'_>],
        ) {
            q.push(verb).push(
                " INTO requests (id, tenant_id, task_id, conversation_id, request_id, platform, \
                 loop_type, context, metadata, status, created_at, updated_at, deadline_at, \
                 plan, call_hash) ",
            );
            q.push_values(rows, |mut b, p| {
                let r = p.request;
                b.push_bind(r.id.clone())
                    .push_bind(r.key.tenant)
                    .push_bind(r.task_id.clone())
                    .push_bind(r.key.conversation_id.clone())
                    .push_bind(r.key.request_id.clone())
                    .push_bind(r.key.platform.clone())
                    .push_bind(r.loop_type.as_str())
                    .push_bind(p.context_text.clone())
                    .push_bind(p.metadata.to_string())
                    .push_bind(gohumanloop::model::Status::Pending.as_str())
                    .push_bind(r.created_at)
                    .push_bind(r.created_at)
                    .push_bind(r.deadline_at)
                    .push_bind(r.plan.as_ref().map(serde_json::Value::to_string))
                    .push_bind(r.call_hash.clone());
            });
        }
    };
}
pub(crate) use requests_push_insert;
