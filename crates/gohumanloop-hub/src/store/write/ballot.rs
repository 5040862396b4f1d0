//! Votes of a quorum, the same on every backend: a vote is recorded (one per person and
//! request: the primary key refuses a second) and the votes so far are judged in the writer's
//! transaction, so that the vote and the change it causes commit together or not at all.

use gohumanloop::model::Status;
use serde_json::{json, Value};

use super::chain::Entry;
use crate::policy::Tally;
use crate::record::{BallotCast, Transition};

/// Whether `tally` is the end a vote for (`approve`) or against can cause.
pub(crate) fn decides(tally: &Tally, approve: bool) -> bool {
    matches!(
        (tally, approve),
        (Tally::Approved { .. }, true) | (Tally::Rejected { .. }, false)
    )
}

/// What a vote's audit entry records.
pub(crate) fn detail(ballot: &BallotCast, tally: &Tally) -> Value {
    json!({
        "vote": if ballot.approve { "approve" } else { "reject" },
        "reason": ballot.reason,
        "tally": tally,
    })
}

/// A vote's audit entry: the request stays in `status`.
pub(crate) fn entry<'a>(change: &'a Transition, status: Status, detail: &'a Value) -> Entry<'a> {
    Entry {
        tenant: change.tenant,
        request: &change.id,
        actor: &change.actor,
        channel: &change.channel,
        old: Some(status),
        new: status,
        detail,
    }
}

/// `async fn cast(conn, change, ballot) -> StoreResult<Option<Tally>>` on the backend `$db`
/// with connections `$conn`: records `change.actor`'s vote (`None`: they had voted), judges
/// every vote on the request so far, and keeps the tally with the request (whose delivered
/// messages then fall due by the status trigger, which watches the tally too: a chat card
/// shows the count, and the dispatcher brings it up to date).
macro_rules! ballots_on {
    ($db:ty, $conn:ty) => {
        /// Records the vote and judges the votes so far (`None`: this person had voted).
        async fn cast(
            conn: &mut $conn,
            change: &$crate::record::Transition,
            ballot: &$crate::record::BallotCast,
        ) -> $crate::store::StoreResult<Option<$crate::policy::Tally>> {
            let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                "INSERT INTO votes (request_id, identity, approve, reason, channel, cast_at) \
                 VALUES (",
            );
            let mut values = q.separated(", ");
            values.push_bind(change.id.clone());
            values.push_bind(change.actor.clone());
            values.push_bind(i64::from(ballot.approve));
            values.push_bind(ballot.reason.clone());
            values.push_bind(change.channel.clone());
            values.push_bind($crate::record::now_ms());
            q.push(") ON CONFLICT (request_id, identity) DO NOTHING");
            if q.build().execute(&mut *conn).await?.rows_affected() == 0 {
                return Ok(None);
            }
            let mut q: sqlx::QueryBuilder<$db> =
                sqlx::QueryBuilder::new("SELECT identity, approve FROM votes WHERE request_id = ");
            q.push_bind(change.id.clone());
            q.push(" ORDER BY cast_at, identity");
            let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
            let ballots: Vec<$crate::policy::Ballot> = rows
                .into_iter()
                .map(|(identity, approve)| $crate::policy::Ballot {
                    identity,
                    approve: approve != 0,
                })
                .collect();
            let tally =
                $crate::policy::judge(&ballot.quorum, ballot.eligible, &ballot.requester, &ballots);
            let mut q: sqlx::QueryBuilder<$db> =
                sqlx::QueryBuilder::new("UPDATE requests SET tally = ");
            q.push_bind(serde_json::json!(tally).to_string());
            q.push(" WHERE id = ");
            q.push_bind(change.id.clone());
            q.build().execute(&mut *conn).await?;
            Ok(Some(tally))
        }
    };
}
pub(crate) use ballots_on;
