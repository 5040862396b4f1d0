//! The plan a policy gives one request: who may decide, by when, what happens at the deadline,
//! escalation, quorum, grants and repeats. Stored with the request as JSON.

use serde::{Deserialize, Serialize};

/// What the first matching rule decided for one request; stored with it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The name of the rule that matched.
    pub rule: String,
    /// Decided at once, without a human (None: a human decides).
    #[serde(default)]
    pub decide: Option<AutoDecision>,
    /// People who may decide (groups expanded, sorted, deduplicated); empty: anyone.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// The deadline given when the request has none, in seconds after it arrived.
    #[serde(default)]
    pub deadline_secs: Option<u64>,
    /// What happens when the deadline passes with no decision.
    #[serde(default)]
    pub at_deadline: AtDeadline,
    /// Escalation steps, `after_secs` strictly increasing.
    #[serde(default)]
    pub escalation: Vec<Escalation>,
    /// How many approvals it takes (None: the first decision settles it).
    #[serde(default)]
    pub quorum: Option<Quorum>,
    /// Whether a live grant may approve the request at once.
    #[serde(default)]
    pub grants: bool,
    /// What a repeat of a call a human just rejected gets.
    #[serde(default)]
    pub on_repeat: OnRepeat,
    /// How long "just rejected" lasts, in seconds.
    #[serde(default = "default_repeat_window")]
    pub repeat_window_secs: u64,
}

/// The default `repeat_window`: one hour.
pub(crate) const DEFAULT_REPEAT_WINDOW_SECS: u64 = 3_600;

fn default_repeat_window() -> u64 {
    DEFAULT_REPEAT_WINDOW_SECS
}

/// A decision a rule makes on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoDecision {
    /// Approve (true) or reject (false).
    pub approve: bool,
    /// Why, as written in the rule; shown to the agent and in the audit log.
    pub reason: String,
}

/// What happens when the deadline passes with no decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtDeadline {
    /// The request expires (as without a policy).
    #[default]
    Expire,
    /// The request is approved (approval requests only).
    Approve,
    /// The request is rejected (not conversations).
    Reject,
}

/// One escalation step: after some time, more people may decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Seconds after the request arrived.
    pub after_secs: u64,
    /// Group names and people, as written in the rule.
    pub to: Vec<String>,
    /// The people of `to` (groups expanded, sorted, deduplicated).
    pub people: Vec<String>,
}

/// How many approvals it takes, and what a rejection does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorum {
    /// Distinct eligible approvers needed.
    pub approvals: u32,
    /// What rejections do.
    #[serde(default)]
    pub rejection: RejectionRule,
}

/// What rejections do under a quorum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionRule {
    /// Any one rejection rejects.
    #[default]
    Veto,
    /// Rejected once the rejections make the quorum impossible, or more than half rejected.
    Majority,
}

/// What a repeat of a call a human just rejected gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRepeat {
    /// Ask again, as for any request.
    #[default]
    Ask,
    /// Reject it at once.
    Refuse,
    /// Ask everyone of every escalation step at once ([`Plan::escalated_at_once`]).
    Escalate,
}

impl Plan {
    /// People who may decide `elapsed_secs` after the request arrived: approvers plus every
    /// escalation step whose `after` has passed (after <= elapsed), sorted and deduplicated.
    /// Empty: anyone (a plan without approvers stays open to anyone, whatever its escalation).
    pub fn eligible(&self, elapsed_secs: u64) -> Vec<String> {
        if self.approvers.is_empty() {
            return Vec::new();
        }
        let reached = self
            .escalation
            .iter()
            .take(self.escalation_level(elapsed_secs));
        let mut people = self.approvers.clone();
        people.extend(reached.flat_map(|step| step.people.iter().cloned()));
        people.sort();
        people.dedup();
        people
    }

    /// Whether `identity` may decide then (true for anyone when approvers is empty).
    pub fn may_decide(&self, identity: &str, elapsed_secs: u64) -> bool {
        self.approvers.is_empty()
            || self.approvers.iter().any(|p| p == identity)
            || self
                .escalation
                .iter()
                .take(self.escalation_level(elapsed_secs))
                .any(|step| step.people.iter().any(|p| p == identity))
    }

    /// How many escalation steps have been reached then.
    pub fn escalation_level(&self, elapsed_secs: u64) -> usize {
        self.escalation
            .iter()
            .take_while(|step| step.after_secs <= elapsed_secs)
            .count()
    }

    /// Seconds after arrival of the next escalation step not yet reached, if any.
    pub fn next_escalation(&self, elapsed_secs: u64) -> Option<u64> {
        self.escalation
            .get(self.escalation_level(elapsed_secs))
            .map(|step| step.after_secs)
    }

    /// The plan a repeat of a just-rejected call gets with on_repeat = escalate: approvers
    /// become approvers + every escalation step's people, escalation emptied (a plan without
    /// approvers keeps none: anyone may decide).
    pub fn escalated_at_once(&self) -> Plan {
        Plan {
            approvers: self.eligible(u64::MAX),
            escalation: Vec::new(),
            ..self.clone()
        }
    }
}
