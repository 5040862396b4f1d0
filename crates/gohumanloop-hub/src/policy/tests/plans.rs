//! `Plan::eligible`, `may_decide`, `escalation_level`, `next_escalation`, `escalated_at_once`.

use crate::policy::{AtDeadline, Escalation, OnRepeat, Plan};

fn step(after_secs: u64, to: &str, people: &[&str]) -> Escalation {
    Escalation {
        after_secs,
        to: vec![to.into()],
        people: people.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn plan(approvers: &[&str]) -> Plan {
    Plan {
        rule: "r".into(),
        decide: None,
        approvers: approvers.iter().map(|p| (*p).to_owned()).collect(),
        deadline_secs: Some(3_600),
        at_deadline: AtDeadline::Expire,
        escalation: vec![
            step(600, "oncall", &["dave", "erin"]),
            step(1_200, "boss", &["alice", "zoe"]),
        ],
        quorum: None,
        grants: false,
        on_repeat: OnRepeat::Escalate,
        repeat_window_secs: 3_600,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| (*p).to_owned()).collect()
}

#[test]
fn eligible_grows_with_each_step_reached() {
    let p = plan(&["alice", "bob"]);
    assert_eq!(p.eligible(0), names(&["alice", "bob"]));
    assert_eq!(p.eligible(599), names(&["alice", "bob"]));
    assert_eq!(p.eligible(600), names(&["alice", "bob", "dave", "erin"]));
    assert_eq!(
        p.eligible(5_000),
        names(&["alice", "bob", "dave", "erin", "zoe"])
    );
}

#[test]
fn may_decide_follows_eligible() {
    let p = plan(&["alice", "bob"]);
    assert!(p.may_decide("bob", 0));
    assert!(!p.may_decide("dave", 599));
    assert!(p.may_decide("dave", 600));
    assert!(!p.may_decide("zoe", 1_199));
    assert!(p.may_decide("zoe", 1_200));
    assert!(!p.may_decide("mallory", u64::MAX));
}

#[test]
fn no_approvers_means_anyone() {
    let p = plan(&[]);
    assert!(p.eligible(0).is_empty());
    assert!(p.eligible(10_000).is_empty());
    assert!(p.may_decide("anyone", 0));
    assert!(p.escalated_at_once().approvers.is_empty());
}

#[test]
fn levels_and_next_step() {
    let p = plan(&["alice"]);
    let cases = [
        (0, 0, Some(600)),
        (599, 0, Some(600)),
        (600, 1, Some(1_200)),
        (1_199, 1, Some(1_200)),
        (1_200, 2, None),
        (u64::MAX, 2, None),
    ];
    for (elapsed, level, next) in cases {
        assert_eq!(p.escalation_level(elapsed), level, "{elapsed}");
        assert_eq!(p.next_escalation(elapsed), next, "{elapsed}");
    }
    let flat = Plan {
        escalation: vec![],
        ..p
    };
    assert_eq!(
        (flat.escalation_level(9), flat.next_escalation(9)),
        (0, None)
    );
}

#[test]
fn escalated_at_once_asks_everyone_now() {
    let p = plan(&["bob"]);
    let now = p.escalated_at_once();
    assert_eq!(
        now.approvers,
        names(&["alice", "bob", "dave", "erin", "zoe"])
    );
    assert!(now.escalation.is_empty());
    assert_eq!(now.eligible(0), p.eligible(u64::MAX));
    assert_eq!(
        Plan {
            approvers: p.approvers.clone(),
            escalation: p.escalation.clone(),
            ..now
        },
        p
    );
}
