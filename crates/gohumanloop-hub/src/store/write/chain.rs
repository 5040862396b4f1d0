//! The audit chain's arithmetic, the same on every backend: each new entry is hashed over the
//! previous one. Where the head comes from (read under which lock) is the backend's business.

use gohumanloop::model::Status;
use serde_json::Value;

use crate::audit::{entry_hash, AuditFields, GENESIS};
use crate::record::{ms_to_rfc3339, now_ms, TenantId};

/// The end of the audit chain the next entry links to.
#[derive(Clone)]
pub(crate) struct ChainHead {
    seq: i64,
    hash: String,
}

impl ChainHead {
    /// The head of a log whose last entry is `last` (`None`: an empty log).
    pub(crate) fn after(last: Option<(i64, String)>) -> Self {
        match last {
            Some((seq, hash)) => Self { seq, hash },
            None => Self {
                seq: 0,
                hash: GENESIS.to_owned(),
            },
        }
    }

    /// Makes the next entry (hashed, linked) and moves the head to it.
    pub(crate) fn next(&mut self, e: Entry<'_>) -> AuditRow {
        let seq = self.seq + 1;
        let at = ms_to_rfc3339(now_ms());
        let detail = e.detail.to_string();
        let hash = entry_hash(&AuditFields {
            seq,
            at: &at,
            tenant: e.tenant,
            request: e.request,
            actor: e.actor,
            channel: e.channel,
            old_status: e.old.map(Status::as_str),
            new_status: e.new.as_str(),
            detail: &detail,
            prev_hash: &self.hash,
        });
        let row = AuditRow {
            seq,
            at,
            tenant: e.tenant,
            request: e.request.to_owned(),
            actor: e.actor.to_owned(),
            channel: e.channel.to_owned(),
            old: e.old,
            new: e.new,
            detail,
            prev_hash: std::mem::replace(&mut self.hash, hash.clone()),
            hash,
        };
        self.seq = seq;
        row
    }
}

/// What an entry records.
pub(crate) struct Entry<'a> {
    /// The tenant.
    pub tenant: TenantId,
    /// The hub's request id.
    pub request: &'a str,
    /// Who.
    pub actor: &'a str,
    /// Which way.
    pub channel: &'a str,
    /// Status before (`None` for a create).
    pub old: Option<Status>,
    /// Status after.
    pub new: Status,
    /// The answer or the create's identity.
    pub detail: &'a Value,
}

/// An entry ready to be written.
pub(crate) struct AuditRow {
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) tenant: TenantId,
    pub(crate) request: String,
    pub(crate) actor: String,
    pub(crate) channel: String,
    pub(crate) old: Option<Status>,
    pub(crate) new: Status,
    pub(crate) detail: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

/// `pub(crate) fn push_insert(q: &mut QueryBuilder<$db>, verb: &str, rows: &[AuditRow])`:
/// `<verb> INTO audit_log (…) VALUES (…), …` for these entries, on the backend `$db`.
macro_rules! audit_push_insert {
    ($db:ty) => {
        /// `<verb> INTO audit_log (…) VALUES (…), …` for these entries.
        pub(crate) fn push_insert(
            q: &mut sqlx::QueryBuilder<$db>,
            verb: &str,
            rows: &[$crate::store::write::chain::AuditRow],
        ) {
            q.push(verb).push(
                " INTO audit_log (seq, at, tenant_id, request, actor, channel, old_status, \
                 new_status, detail, prev_hash, hash) ",
            );
            q.push_values(rows, |mut b, r| {
                b.push_bind(r.seq)
                    .push_bind(r.at.clone())
                    .push_bind(r.tenant)
                    .push_bind(r.request.clone())
                    .push_bind(r.actor.clone())
                    .push_bind(r.channel.clone())
                    .push_bind(r.old.map(gohumanloop::model::Status::as_str))
                    .push_bind(r.new.as_str())
                    .push_bind(r.detail.clone())
                    .push_bind(r.prev_hash.clone())
                    .push_bind(r.hash.clone());
            });
        }
    };
}
pub(crate) use audit_push_insert;
