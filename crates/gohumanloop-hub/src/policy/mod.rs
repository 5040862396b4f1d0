//! Policies: rules that say, for each new request, who may decide it, by when, what happens at
//! the deadline, how it escalates, how many approvals it takes, whether a standing grant may
//! approve it, and what a repeat of a just-rejected call gets — or that it is decided at once
//! without a human.
//!
//! A policy is the `[policy]` table of the hub's configuration file. Rules are tried in file
//! order; the FIRST rule whose `when` holds gives the request its [`Plan`]; no matching rule:
//! the hub acts as without a policy.
//!
//! ```toml
//! [policy.groups]
//! finance = ["alice", "bob", "carol"]
//! oncall  = ["dave", "erin"]
//!
//! [[policy.rule]]
//! name = "deny-rm-rf-root"              # required, unique
//! when.function = "shell*"              # glob on context.function.function_name
//! when.arguments = { "/command" = "rm -rf /*" }   # JSON pointer -> matcher
//! decide = "reject"                     # auto-decision: "approve" | "reject"
//! reason = "recursive deletes of / are never allowed"   # required with decide
//!
//! [[policy.rule]]
//! name = "read-only"
//! when.function = ["get_*", "list_*", "read_*"]   # a glob or a list of globs (any)
//! when.loop_type = "approval"           # "approve" (decide or at_deadline) needs exactly this
//! decide = "approve"
//! reason = "read-only calls need no human"
//!
//! [[policy.rule]]
//! name = "large-payments"
//! when.tenant = "acme"                  # glob or list, on the tenant's name
//! when.platform = "prod-*"              # glob or list
//! when.loop_type = "approval"           # one or a list of approval|information|conversation
//! when.function = "pay_*"
//! when.arguments = { "/amount" = { gt = 1000 }, "/currency" = ["EUR", "USD"] }
//! when.metadata = { "/env" = "prod" }
//! approvers = ["finance"]               # group names or people; empty/absent = anyone may decide
//! deadline = "30m"                      # the deadline the plan gives when the request has none
//! at_deadline = "reject"                # "expire" (default) | "approve" | "reject"
//! escalate = [ { after = "10m", to = ["oncall"] } ]   # steps; after strictly increasing
//! quorum = { approvals = 2, rejection = "veto" }      # N distinct eligible approvers; "veto" (default) | "majority"
//! grants = true                         # may a live grant approve it at once (default false)
//! on_repeat = "refuse"                  # after a human rejected the same call: "ask" (default) | "refuse" | "escalate"
//! repeat_window = "1h"                  # how long "just rejected" lasts (default "1h")
//! ```
//!
//! Matchers (`when.arguments`, `when.metadata`, a grant's `arguments`; the key is a JSON
//! pointer): a string is a glob on a string value; a number or boolean must be equal; an array
//! matches when any item does; a table of `gt ge lt le glob equals absent` when all hold. A
//! pointer that finds nothing fails every matcher but `absent = true`. All keys of `when` must
//! hold; `when` without keys matches every request.
//!
//! Decisions without a human must fit the request: `"approve"` (as `decide` or `at_deadline`)
//! only when `when.loop_type` is exactly `"approval"`; `at_deadline = "reject"` only when the
//! rule cannot apply to a conversation. `decide = "reject"` applies to any request.
//!
//! Everything here is pure: no IO, no clock. [`Policy::from_toml`] checks a policy once (every
//! problem as one line); [`Policy::plan_for`], [`Plan`]'s methods, [`judge`] and
//! [`grant::GrantScope::covers`] only compute.

pub mod config;
pub mod duration;
mod escalate;
pub mod grant;
mod matcher;
pub mod plan;
pub mod quorum;
mod read;
mod rule;
mod when;

#[cfg(test)]
mod tests;

pub use config::Policy;
pub use plan::{AtDeadline, AutoDecision, Escalation, OnRepeat, Plan, Quorum, RejectionRule};
pub use quorum::{judge, Ballot, Tally};

use gohumanloop::model::LoopType;

/// What a rule is matched against: one new request.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The tenant's name.
    pub tenant: &'a str,
    /// The platform the request names.
    pub platform: &'a str,
    /// The kind of request.
    pub loop_type: LoopType,
    /// The request's context (an object); the function at `/function/function_name`, its
    /// arguments at `/function/arguments`.
    pub context: &'a serde_json::Value,
    /// The request's metadata (an object).
    pub metadata: &'a serde_json::Value,
}
