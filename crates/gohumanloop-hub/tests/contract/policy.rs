//! The contract's item 9, policy: a request's plan and call hash are stored with it; a vote is
//! recorded once per person and judged with the votes before it in the writer's transaction, so
//! that two votes arriving at once through two handles (two nodes) decide the request exactly
//! once; a single-use grant is used by one request only.

use std::future::Future;
use std::sync::Arc;

use gohumanloop::model::Status;
use gohumanloop_hub::policy::{Quorum, RejectionRule, Tally};
use gohumanloop_hub::record::{now_ms, BallotCast, GrantUse, Transition, TransitionOutcome};
use gohumanloop_hub::store::{Attempt, GrantRecord, Store};
use serde_json::json;

use super::{change, create, request, tenant};

fn vote(tenant: i64, id: &str, who: &str, approve: bool) -> Transition {
    let to = if approve {
        Status::Approved
    } else {
        Status::Rejected
    };
    Transition {
        ballot: Some(BallotCast {
            approve,
            reason: format!("{who} says so"),
            quorum: Quorum {
                approvals: 2,
                rejection: RejectionRule::Veto,
            },
            eligible: 3,
            requester: "agent".into(),
        }),
        ..change(tenant, id, to, who)
    }
}

/// Votes: recorded once per person; the requester's never counts; each keeps the count with
/// the request and marks its delivered messages due (cards show the count); the vote that
/// reaches the quorum changes the status in its own transaction, and of two such votes at once
/// exactly one does.
pub async fn votes_decide_once<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    create(a.as_ref(), request(tenant, "v1", None)).await;
    a.open_deliveries("id-v1", "chat", &["ann".to_owned()])
        .await
        .unwrap();
    let now = now_ms();
    let claimed = a.claim_due(now, now + 60_000, 10).await.unwrap();
    let delivered = Attempt::Delivered {
        reference: "m1".into(),
        shown: Status::Pending,
        data: None,
    };
    a.record_attempt(&claimed[0], delivered).await.unwrap();
    let due = || async { b.deliveries_of("id-v1").await.unwrap()[0].due_at };
    assert_eq!(due().await, None);
    let first = a
        .transition(vote(tenant, "id-v1", "alice", true))
        .await
        .unwrap();
    let TransitionOutcome::Voted { record, tally } = first else {
        panic!("{first:?}");
    };
    assert_eq!(record.status, Status::Pending);
    assert_eq!(
        tally,
        Tally::Pending {
            approvals: 1,
            rejections: 0,
            needed: 2
        }
    );
    assert_eq!(record.tally, Some(tally));
    let stored = b.by_id("id-v1").await.unwrap().unwrap();
    assert_eq!(stored.tally, Some(tally), "kept with the request");
    assert!(due().await.is_some(), "the card is due for the new count");
    let now = now_ms();
    let again_due = b.claim_due(now, now + 60_000, 10).await.unwrap();
    assert_eq!(again_due.len(), 1, "and claimed at once");
    let updated = Attempt::Updated {
        shown: Status::Pending,
    };
    b.record_attempt(&again_due[0], updated).await.unwrap();
    let again = b
        .transition(vote(tenant, "id-v1", "alice", true))
        .await
        .unwrap();
    assert!(
        matches!(again, TransitionOutcome::AlreadyVoted(_)),
        "{again:?}"
    );
    let requester = b
        .transition(vote(tenant, "id-v1", "agent", true))
        .await
        .unwrap();
    let TransitionOutcome::Voted { tally, .. } = requester else {
        panic!("{requester:?}");
    };
    assert!(
        matches!(tally, Tally::Pending { approvals: 1, .. }),
        "the requester never counts: {tally:?}"
    );
    // bob and carol at once, through two handles: one decides, the other finds it decided.
    let (x, y) = tokio::join!(
        a.transition(vote(tenant, "id-v1", "bob", true)),
        b.transition(vote(tenant, "id-v1", "carol", true)),
    );
    let outcomes = [x.unwrap(), y.unwrap()];
    let changed = outcomes
        .iter()
        .filter(|o| matches!(o, TransitionOutcome::Changed { .. }))
        .count();
    let conflicts = outcomes
        .iter()
        .filter(|o| matches!(o, TransitionOutcome::Conflict(r) if r.status == Status::Approved))
        .count();
    assert_eq!((changed, conflicts), (1, 1), "{outcomes:?}");
    let trail = a.audit_trail(tenant, "id-v1").await.unwrap();
    let kept: Vec<(&str, Status)> = trail
        .iter()
        .map(|e| (e.actor.as_str(), e.new_status))
        .collect();
    assert_eq!(
        kept.len(),
        4,
        "create, alice's vote, the requester's, the decision: {kept:?}"
    );
    assert_eq!(kept[3].1, Status::Approved);

    // A rejection vetoes.
    create(a.as_ref(), request(tenant, "v2", None)).await;
    a.transition(vote(tenant, "id-v2", "alice", true))
        .await
        .unwrap();
    let veto = b
        .transition(vote(tenant, "id-v2", "bob", false))
        .await
        .unwrap();
    let TransitionOutcome::Changed { record, .. } = veto else {
        panic!("{veto:?}");
    };
    assert_eq!(record.status, Status::Rejected);
    assert_eq!(record.responded_by.as_deref(), Some("bob"));
}

fn grant(tenant: i64, id: &str, single_use: bool, expires_at: Option<i64>) -> GrantRecord {
    GrantRecord {
        id: id.into(),
        tenant,
        scope: json!({"kind": "exact", "function": "f", "call_hash": "h"}),
        function: "f".into(),
        single_use,
        granted_by: "alice".into(),
        reason: "fine".into(),
        source_request: None,
        created_at: now_ms(),
        expires_at,
        used_at: None,
        used_by: None,
        revoked_at: None,
        revoked_by: None,
    }
}

/// An approval by `grant`: it happens only if the grant is spent on it.
fn by_grant(tenant: i64, id: &str, grant: &GrantRecord) -> Transition {
    Transition {
        grant: Some(GrantUse {
            id: grant.id.clone(),
            single_use: grant.single_use,
        }),
        ..change(tenant, id, Status::Approved, &format!("grant:{}", grant.id))
    }
}

/// Grants: spent in the transaction of the approval they cause — a single-use grant approves
/// one request of two that try at once through two handles (the other stays pending), and is
/// not spent on a request that was decided already; a pattern grant is not used up; revoked
/// and expired grants are not live and approve nothing.
pub async fn a_single_use_grant_is_used_once<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    for rid in ["g0", "g1", "g2", "g3", "g4", "g5"] {
        create(a.as_ref(), request(tenant, rid, None)).await;
    }
    let once = grant(tenant, "g-once", true, None);
    a.add_grant(&once).await.unwrap();
    let now = now_ms();
    b.transition(change(tenant, "id-g0", Status::Rejected, "bob"))
        .await
        .unwrap();
    let late = a
        .transition(by_grant(tenant, "id-g0", &once))
        .await
        .unwrap();
    assert!(
        matches!(&late, TransitionOutcome::Conflict(r) if r.status == Status::Rejected),
        "{late:?}"
    );
    assert_eq!(
        a.live_grants(tenant, now).await.unwrap().len(),
        1,
        "not spent on a request decided already"
    );
    let (x, y) = tokio::join!(
        a.transition(by_grant(tenant, "id-g1", &once)),
        b.transition(by_grant(tenant, "id-g2", &once)),
    );
    let outcomes = [x.unwrap(), y.unwrap()];
    let approved = outcomes
        .iter()
        .filter(|o| matches!(o, TransitionOutcome::Changed { record, .. } if record.status == Status::Approved))
        .count();
    let ended = outcomes
        .iter()
        .filter(|o| matches!(o, TransitionOutcome::GrantEnded(r) if r.status == Status::Pending))
        .count();
    assert_eq!(
        (approved, ended),
        (1, 1),
        "used by exactly one: {outcomes:?}"
    );
    let used_by = a.grants(tenant, 10).await.unwrap()[0].used_by.clone();
    let winner = if matches!(outcomes[0], TransitionOutcome::Changed { .. }) {
        "id-g1"
    } else {
        "id-g2"
    };
    assert_eq!(used_by.as_deref(), Some(winner));
    let standing = grant(tenant, "g-standing", false, Some(now + 3_600_000));
    b.add_grant(&standing).await.unwrap();
    for id in ["id-g3", "id-g4"] {
        let outcome = a.transition(by_grant(tenant, id, &standing)).await.unwrap();
        assert!(
            matches!(outcome, TransitionOutcome::Changed { .. }),
            "{outcome:?}"
        );
    }
    let live: Vec<String> = a
        .live_grants(tenant, now)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(live, ["g-standing"], "the used one is not live");
    assert!(
        a.live_grants(tenant, now + 3_600_001)
            .await
            .unwrap()
            .is_empty(),
        "an expired grant is not live"
    );
    assert_eq!(
        b.revoke_grant(tenant, "g-standing", "bob", now)
            .await
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        a.revoke_grant(tenant, "g-standing", "bob", now)
            .await
            .unwrap(),
        Some(false)
    );
    assert_eq!(
        a.revoke_grant(tenant, "nope", "bob", now).await.unwrap(),
        None
    );
    let revoked = a
        .transition(by_grant(tenant, "id-g5", &standing))
        .await
        .unwrap();
    assert!(
        matches!(revoked, TransitionOutcome::GrantEnded(_)),
        "{revoked:?}"
    );
    let listed = b.grants(tenant, 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed
            .iter()
            .find(|g| g.id == "g-standing")
            .and_then(|g| g.revoked_by.clone()),
        Some("bob".into())
    );
}

/// A request's plan and call hash are stored with it and read back by another handle; the last
/// decided request of a call is found by its hash.
pub async fn plans_are_stored_with_their_request<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let (a, b) = (open().await, open().await);
    let tenant = tenant(a.as_ref()).await;
    let mut new = request(tenant, "p1", None);
    new.plan = Some(json!({"rule": "payments", "approvers": ["alice"]}));
    new.call_hash = Some("hash-1".into());
    create(a.as_ref(), new).await;
    let read = b.by_id("id-p1").await.unwrap().unwrap();
    assert_eq!(
        read.plan,
        Some(json!({"rule": "payments", "approvers": ["alice"]}))
    );
    let since = now_ms() - 1000;
    assert!(b
        .last_decided_call(tenant, "hash-1", since)
        .await
        .unwrap()
        .is_none());
    a.transition(change(tenant, "id-p1", Status::Rejected, "alice"))
        .await
        .unwrap();
    let last = b
        .last_decided_call(tenant, "hash-1", since)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((last.id.as_str(), last.status), ("id-p1", Status::Rejected));
    assert!(b
        .last_decided_call(tenant, "hash-2", since)
        .await
        .unwrap()
        .is_none());
}
