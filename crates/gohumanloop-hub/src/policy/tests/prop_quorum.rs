//! Properties of the quorum judge over random ballot sequences.

use std::collections::HashSet;

use proptest::prelude::*;

use crate::policy::{judge, Ballot, Quorum, RejectionRule, Tally};

const REQUESTER: &str = "req";
const POOL: [&str; 5] = [REQUESTER, "a", "b", "c", "d"];

fn ballots() -> impl Strategy<Value = Vec<Ballot>> {
    let ballot =
        (prop::sample::select(POOL.to_vec()), any::<bool>()).prop_map(|(who, approve)| Ballot {
            identity: who.to_owned(),
            approve,
        });
    prop::collection::vec(ballot, 0..14)
}

fn quorum() -> impl Strategy<Value = Quorum> {
    (1u32..5, any::<bool>()).prop_map(|(approvals, veto)| Quorum {
        approvals,
        rejection: if veto {
            RejectionRule::Veto
        } else {
            RejectionRule::Majority
        },
    })
}

/// The ballots that count: each identity's first, never the requester's.
fn counted(ballots: &[Ballot]) -> Vec<Ballot> {
    let mut seen = HashSet::new();
    ballots
        .iter()
        .filter(|b| b.identity != REQUESTER && seen.insert(b.identity.clone()))
        .cloned()
        .collect()
}

proptest! {
    #[test]
    fn approved_needs_n_distinct_approvers(q in quorum(), eligible in 1u32..7, cast in ballots()) {
        if let Tally::Approved { approvals } = judge(&q, eligible, REQUESTER, &cast) {
            let approvers = counted(&cast).iter().filter(|b| b.approve).count();
            prop_assert!(approvers >= q.approvals as usize, "{approvers} < {}", q.approvals);
            prop_assert_eq!(approvals, q.approvals);
        }
    }

    #[test]
    fn requester_ballots_never_change_the_tally(q in quorum(), eligible in 1u32..7, cast in ballots()) {
        let without: Vec<Ballot> = cast.iter().filter(|b| b.identity != REQUESTER).cloned().collect();
        prop_assert_eq!(judge(&q, eligible, REQUESTER, &cast), judge(&q, eligible, REQUESTER, &without));
    }

    #[test]
    fn repeated_ballots_never_change_the_tally(q in quorum(), eligible in 1u32..7, cast in ballots()) {
        let mut seen = HashSet::new();
        let first_only: Vec<Ballot> = cast.iter().filter(|b| seen.insert(b.identity.clone())).cloned().collect();
        prop_assert_eq!(judge(&q, eligible, REQUESTER, &cast), judge(&q, eligible, REQUESTER, &first_only));
    }

    #[test]
    fn veto_rejects_at_a_rejection_before_n_approvals(approvals in 1u32..5, eligible in 1u32..7, cast in ballots()) {
        let q = Quorum { approvals, rejection: RejectionRule::Veto };
        let counted = counted(&cast);
        let first_rejection = counted.iter().position(|b| !b.approve);
        let approvals_before = |at: usize| counted[..at].iter().filter(|b| b.approve).count();
        let tally = judge(&q, eligible, REQUESTER, &cast);
        match first_rejection {
            Some(at) if approvals_before(at) < approvals as usize => {
                prop_assert_eq!(tally, Tally::Rejected { rejections: 1 });
            }
            _ => prop_assert!(!matches!(tally, Tally::Rejected { .. }), "{tally:?}"),
        }
    }

    #[test]
    fn majority_rejects_only_when_quorum_impossible_or_most_reject(approvals in 1u32..5, eligible in 1u32..7, cast in ballots()) {
        let q = Quorum { approvals, rejection: RejectionRule::Majority };
        if let Tally::Rejected { rejections } = judge(&q, eligible, REQUESTER, &cast) {
            let impossible = eligible.saturating_sub(rejections) < approvals;
            prop_assert!(impossible || rejections * 2 > eligible);
            prop_assert!(counted(&cast).iter().filter(|b| !b.approve).count() >= rejections as usize);
        }
    }
}
