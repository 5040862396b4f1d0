//! The quorum judge: whether the ballots cast so far approve, reject, or leave a request
//! pending. Pure; the caller passes only the ballots of eligible people.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::policy::plan::{Quorum, RejectionRule};

/// One person's vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    /// Who voted.
    pub identity: String,
    /// Approve (true) or reject (false).
    pub approve: bool,
}

/// Where the ballots leave a request. serde: `{"pending": {"approvals": 1, "rejections": 0,
/// "needed": 2}}` | `{"approved": {"approvals": 2}}` | `{"rejected": {"rejections": 1}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tally {
    /// Not decided yet.
    Pending {
        /// Counted approvals so far.
        approvals: u32,
        /// Counted rejections so far.
        rejections: u32,
        /// Approvals needed in all (the quorum's N), so `approvals` of `needed`.
        needed: u32,
    },
    /// Approved by this many distinct approvals.
    Approved {
        /// Counted approvals.
        approvals: u32,
    },
    /// Rejected after this many counted rejections.
    Rejected {
        /// Counted rejections.
        rejections: u32,
    },
}

/// Judges ballots in the order cast: only the FIRST ballot of each identity counts; ballots by
/// `requester` never count; `eligible` = how many distinct people may vote (M).
/// Approved when N (quorum.approvals) distinct counted approvals; Veto: any counted rejection
/// rejects (checked in order: the first of "N approvals reached" / "a rejection" decides);
/// Majority: rejected once the counted rejections make N approvals impossible
/// (approvals_possible = eligible - rejections < N) — also when more than half rejected.
/// Ballots after the deciding one do not matter.
pub fn judge(quorum: &Quorum, eligible: u32, requester: &str, ballots: &[Ballot]) -> Tally {
    let needed = quorum.approvals;
    let (mut approvals, mut rejections) = (0u32, 0u32);
    if needed == 0 {
        return Tally::Approved { approvals };
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for ballot in ballots {
        if ballot.identity == requester || !seen.insert(ballot.identity.as_str()) {
            continue;
        }
        if ballot.approve {
            approvals += 1;
            if approvals >= needed {
                return Tally::Approved { approvals };
            }
            continue;
        }
        rejections += 1;
        let rejected = match quorum.rejection {
            RejectionRule::Veto => true,
            RejectionRule::Majority => {
                eligible.saturating_sub(rejections) < needed
                    || u64::from(rejections) * 2 > u64::from(eligible)
            }
        };
        if rejected {
            return Tally::Rejected { rejections };
        }
    }
    Tally::Pending {
        approvals,
        rejections,
        needed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballots(spec: &[(&str, bool)]) -> Vec<Ballot> {
        spec.iter()
            .map(|(who, approve)| Ballot {
                identity: (*who).to_owned(),
                approve: *approve,
            })
            .collect()
    }

    const VETO: Quorum = Quorum {
        approvals: 2,
        rejection: RejectionRule::Veto,
    };
    const MAJORITY: Quorum = Quorum {
        approvals: 2,
        rejection: RejectionRule::Majority,
    };

    #[test]
    fn two_distinct_approvals_approve() {
        let cast = ballots(&[("alice", true), ("alice", true), ("bob", true)]);
        assert_eq!(
            judge(&VETO, 3, "agent", &cast),
            Tally::Approved { approvals: 2 }
        );
        let cast = ballots(&[("alice", true), ("alice", true)]);
        assert_eq!(
            judge(&VETO, 3, "agent", &cast),
            Tally::Pending {
                approvals: 1,
                rejections: 0,
                needed: 2
            }
        );
    }

    #[test]
    fn requester_never_counts() {
        let cast = ballots(&[("alice", true), ("alice", false), ("bob", true)]);
        assert_eq!(
            judge(&VETO, 3, "alice", &cast),
            Tally::Pending {
                approvals: 1,
                rejections: 0,
                needed: 2
            }
        );
    }

    #[test]
    fn veto_rejects_at_first_rejection_unless_approved_before() {
        let cast = ballots(&[("alice", true), ("bob", false), ("carol", true)]);
        assert_eq!(
            judge(&VETO, 3, "agent", &cast),
            Tally::Rejected { rejections: 1 }
        );
        let cast = ballots(&[("alice", true), ("carol", true), ("bob", false)]);
        assert_eq!(
            judge(&VETO, 3, "agent", &cast),
            Tally::Approved { approvals: 2 }
        );
        let cast = ballots(&[("alice", true), ("alice", false)]);
        assert!(
            matches!(judge(&VETO, 3, "agent", &cast), Tally::Pending { .. }),
            "first ballot only"
        );
    }

    #[test]
    fn majority_rejects_when_quorum_impossible_or_most_reject() {
        let cast = ballots(&[("alice", false)]);
        assert!(matches!(
            judge(&MAJORITY, 3, "agent", &cast),
            Tally::Pending { .. }
        ));
        let cast = ballots(&[("alice", false), ("bob", false)]);
        assert_eq!(
            judge(&MAJORITY, 3, "agent", &cast),
            Tally::Rejected { rejections: 2 }
        );
        let cast = ballots(&[("a", false), ("b", false), ("c", false)]);
        assert!(
            matches!(judge(&MAJORITY, 6, "agent", &cast), Tally::Pending { .. }),
            "half is not more than half"
        );
        let cast = ballots(&[("a", false), ("b", false), ("c", false), ("d", false)]);
        assert_eq!(
            judge(&MAJORITY, 6, "agent", &cast),
            Tally::Rejected { rejections: 4 }
        );
        let cast = ballots(&[("a", false), ("b", true), ("c", true)]);
        assert_eq!(
            judge(&MAJORITY, 3, "agent", &cast),
            Tally::Approved { approvals: 2 }
        );
    }

    #[test]
    fn serde_form() {
        let pending = Tally::Pending {
            approvals: 1,
            rejections: 0,
            needed: 2,
        };
        assert_eq!(
            serde_json::to_value(pending).ok(),
            Some(serde_json::json!({"pending": {"approvals": 1, "rejections": 0, "needed": 2}}))
        );
    }

    #[test]
    fn no_ballots_pending() {
        assert_eq!(
            judge(&MAJORITY, 2, "agent", &[]),
            Tally::Pending {
                approvals: 0,
                rejections: 0,
                needed: 2
            }
        );
    }
}
