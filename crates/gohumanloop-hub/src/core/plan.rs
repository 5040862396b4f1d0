//! The policy at work in the core: a new request gets its plan from the first matching rule
//! (stored with it, so that every restart and every node judges it the same); the plan may
//! decide at once (a rule's auto-decision, a live grant, a call asked again right after a human
//! rejected it); a human's decision is checked against the plan's approvers and counted toward
//! its quorum; at the deadline the plan's default applies. The rules themselves are pure
//! ([`crate::policy`]); every change still goes through the one conditional write.

use gohumanloop::model::{call_hash, LoopType, Status};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::decision::{Action, Decision, Refusal};
use super::{Actor, Hub};
use crate::policy::grant::GrantScope;
use crate::policy::{AtDeadline, OnRepeat, Plan, Subject};
use crate::record::{
    now_ms, rfc3339_to_ms, BallotCast, GrantUse, NewRequest, RequestRecord, Transition,
    TransitionOutcome,
};
use crate::store::{GrantRecord, StoreResult};

/// A plan as stored with its request: the plan, and who asked (never an approver of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredPlan {
    /// What the rule decided.
    #[serde(flatten)]
    pub plan: Plan,
    /// Who asked: the API key's owner, and the identity the metadata names (`requester`,
    /// `user`, `user_id`), if it does.
    pub requesters: Vec<String>,
    /// Set when the same call was rejected by a human shortly before: who and which request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<String>,
}

impl StoredPlan {
    /// The plan stored with `record`, if it has one.
    pub(crate) fn of(record: &RequestRecord) -> Option<StoredPlan> {
        let stored = record.plan.as_ref()?;
        match serde_json::from_value(stored.clone()) {
            Ok(plan) => Some(plan),
            Err(e) => {
                tracing::error!(id = %record.id, "unreadable plan, the request is judged without it: {e}");
                None
            }
        }
    }
}

/// A stored plan as the inbox shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanView {
    /// The rule that planned the request.
    pub rule: String,
    /// Who may decide (empty: anyone who sees it), escalations included once reached.
    pub approvers: Vec<String>,
    /// Approvals needed, and whether one rejection rejects.
    pub quorum: Option<(u32, bool)>,
    /// Escalation steps: after how many minutes, to whom.
    pub escalation: Vec<(u64, String)>,
    /// What the deadline does, when it does more than expire (`approve`, `reject`).
    pub at_deadline: Option<String>,
    /// Why this is a repeat of a call a human rejected, if it is.
    pub repeats: Option<String>,
}

impl PlanView {
    /// The view of `record`'s plan, if it has one.
    pub(crate) fn of(record: &RequestRecord) -> Option<PlanView> {
        let stored = StoredPlan::of(record)?;
        let plan = &stored.plan;
        Some(PlanView {
            rule: plan.rule.clone(),
            approvers: plan.eligible(elapsed_secs(record)),
            quorum: plan.quorum.as_ref().map(|q| {
                (
                    q.approvals,
                    q.rejection == crate::policy::RejectionRule::Veto,
                )
            }),
            escalation: plan
                .escalation
                .iter()
                .map(|step| (step.after_secs / 60, step.to.join(", ")))
                .collect(),
            at_deadline: match plan.at_deadline {
                AtDeadline::Expire => None,
                AtDeadline::Approve => Some("approve".into()),
                AtDeadline::Reject => Some("reject".into()),
            },
            repeats: stored.repeats.clone(),
        })
    }
}

/// When each escalation step of `record`'s plan is reached (Unix ms), and the people it adds:
/// the channels put the request before them then.
pub(crate) fn escalations(record: &RequestRecord) -> Vec<(i64, Vec<String>)> {
    let Some(stored) = StoredPlan::of(record) else {
        return Vec::new();
    };
    let created = rfc3339_to_ms(&record.created_at).unwrap_or_else(now_ms);
    stored
        .plan
        .escalation
        .into_iter()
        .map(|step| {
            let after = i64::try_from(step.after_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            (created.saturating_add(after), step.people)
        })
        .collect()
}

/// What a decision must become under a plan (see [`Hub::judge`]).
pub(crate) enum Judged {
    /// Apply it as the table says.
    Apply,
    /// Count it toward the quorum.
    Vote(BallotCast),
    /// Refuse it.
    Refuse(Refusal),
}

/// The metadata keys that name the person an agent acts for.
const REQUESTER_KEYS: [&str; 3] = ["requester", "user", "user_id"];

/// The function a context asks about, and its arguments.
pub(crate) fn function_of(context: &Value) -> Option<(&str, &Value)> {
    let function = context.get("function")?;
    let name = function.get("function_name")?.as_str()?;
    Some((name, function.get("arguments").unwrap_or(&Value::Null)))
}

/// A decision made by the policy rather than a human: the response the agent reads.
fn by_policy(approve: bool, rule: &str, when: &str, reason: &str) -> Value {
    json!({
        "decision": if approve { "approved" } else { "rejected" },
        "reason": reason,
        "decided_by": "policy",
        "rule": rule,
        "when": when,
    })
}

impl Hub {
    /// Gives a new request its plan (if a rule matches): stored with it, with its call's hash
    /// and the plan's deadline when the request brought none. A call asked again right after
    /// a human rejected it is marked, and with `on_repeat = "escalate"` asks everyone of the
    /// escalation at once.
    pub(super) async fn plan_request(&self, request: &mut NewRequest) -> StoreResult<()> {
        let policy = &self.core.policy;
        if policy.is_empty() {
            return Ok(());
        }
        let tenant = self.tenant_name(request.key.tenant).await?;
        // Lent to the rules as JSON values and given back: a context may be large.
        let context = Value::Object(std::mem::take(&mut request.context));
        let metadata = Value::Object(std::mem::take(&mut request.metadata));
        let subject = Subject {
            tenant: &tenant,
            platform: &request.key.platform,
            loop_type: request.loop_type,
            context: &context,
            metadata: &metadata,
        };
        let planned = policy.plan_for(&subject);
        let hash = planned
            .as_ref()
            .and_then(|_| function_of(&context))
            .map(|(f, args)| call_hash(f, args));
        if let (Value::Object(context), Value::Object(metadata)) = (context, metadata) {
            request.context = context;
            request.metadata = metadata;
        }
        let Some(mut plan) = planned else {
            return Ok(());
        };
        if let (None, Some(secs)) = (request.deadline_at, plan.deadline_secs) {
            let ms = i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            request.deadline_at = Some(request.created_at.saturating_add(ms));
        }
        request.call_hash = hash;
        let mut repeats = None;
        if let (Some(hash), false) = (&request.call_hash, plan.on_repeat == OnRepeat::Ask) {
            let window =
                i64::try_from(plan.repeat_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            let since = request.created_at.saturating_sub(window);
            let last = self
                .store()
                .last_decided_call(request.key.tenant, hash, since)
                .await?;
            if let Some(last) = last.filter(|l| l.status == Status::Rejected && is_human(l)) {
                repeats = Some(format!(
                    "{} rejected the same call at {} (request {})",
                    last.responded_by.as_deref().unwrap_or("someone"),
                    last.responded_at.as_deref().unwrap_or(&last.updated_at),
                    last.id
                ));
                if plan.on_repeat == OnRepeat::Escalate {
                    plan = plan.escalated_at_once();
                }
            }
        }
        let mut requesters = vec![request.actor.clone()];
        for key in REQUESTER_KEYS {
            if let Some(who) = request.metadata.get(key).and_then(Value::as_str) {
                if !who.trim().is_empty() && !requesters.iter().any(|r| r == who) {
                    requesters.push(who.trim().to_owned());
                }
            }
        }
        let stored = StoredPlan {
            plan,
            requesters,
            repeats,
        };
        request.plan = serde_json::to_value(&stored).ok();
        Ok(())
    }

    /// What the plan decides for a request just created, if anything: a rule's auto-decision,
    /// a refusal of a repeated rejected call, or a live grant that covers the call. The
    /// record as it is afterwards.
    pub(super) async fn settle_at_create(
        &self,
        record: RequestRecord,
    ) -> StoreResult<RequestRecord> {
        let Some(stored) = StoredPlan::of(&record) else {
            return Ok(record);
        };
        let plan = &stored.plan;
        if let Some(auto) = &plan.decide {
            let response = by_policy(auto.approve, &plan.rule, "at_create", &auto.reason);
            let to = if auto.approve {
                Status::Approved
            } else {
                Status::Rejected
            };
            return self.policy_change(record, to, response, &plan.rule).await;
        }
        if let (Some(why), OnRepeat::Refuse) = (&stored.repeats, plan.on_repeat) {
            let reason = format!("not asked again: {why}");
            let response = by_policy(false, &plan.rule, "repeat", &reason);
            return self
                .policy_change(record, Status::Rejected, response, &plan.rule)
                .await;
        }
        if plan.grants && record.loop_type == LoopType::Approval {
            return self.apply_grant(record).await;
        }
        Ok(record)
    }

    /// Approves `record` by the first live grant that covers its call, if one does: the grant
    /// is spent in the approval's own transaction (one that ended meanwhile approves nothing,
    /// and the next is tried).
    async fn apply_grant(&self, record: RequestRecord) -> StoreResult<RequestRecord> {
        let Some((function, arguments)) = function_of(&record.context) else {
            return Ok(record);
        };
        let hash = call_hash(function, arguments);
        let now = now_ms();
        for grant in self.store().live_grants(record.tenant, now).await? {
            let Ok(scope) = serde_json::from_value::<GrantScope>(grant.scope.clone()) else {
                continue;
            };
            if !scope.covers(function, arguments, &hash) {
                continue;
            }
            let response = json!({
                "decision": "approved",
                "reason": format!("covered by grant {}: {}", grant.id, grant.reason),
                "decided_by": "grant",
                "grant_id": grant.id,
                "call_hash": hash,
            });
            let actor = format!("grant:{}", grant.id);
            let spent = GrantUse {
                id: grant.id.clone(),
                single_use: grant.single_use,
            };
            let change =
                self.policy_transition(&record, Status::Approved, response, actor, "grant");
            let change = Transition {
                grant: Some(spent),
                ..change
            };
            match self.transition(change).await? {
                TransitionOutcome::Changed { record, .. } => return Ok(*record),
                TransitionOutcome::GrantEnded(_) => continue,
                TransitionOutcome::Conflict(record) => return Ok(*record),
                _ => return Ok(record),
            }
        }
        Ok(record)
    }

    /// A change the policy makes, as `policy:RULE`.
    async fn policy_change(
        &self,
        record: RequestRecord,
        to: Status,
        mut response: Value,
        rule: &str,
    ) -> StoreResult<RequestRecord> {
        if to == Status::Approved {
            if let Some((function, arguments)) = function_of(&record.context) {
                response["call_hash"] = Value::from(call_hash(function, arguments));
            }
        }
        self.apply(record, to, response, format!("policy:{rule}"), "policy")
            .await
    }

    /// Moves a pending `record` to `to` with `response`, by `actor` through `channel`; the
    /// record afterwards (as the winner left it if someone came first).
    async fn apply(
        &self,
        record: RequestRecord,
        to: Status,
        response: Value,
        actor: String,
        channel: &str,
    ) -> StoreResult<RequestRecord> {
        let change = self.policy_transition(&record, to, response, actor, channel);
        Ok(match self.transition(change).await? {
            TransitionOutcome::Changed { record, .. } | TransitionOutcome::Conflict(record) => {
                *record
            }
            _ => record,
        })
    }

    /// The change of a pending `record` to `to` with `response`, by `actor` through `channel`.
    fn policy_transition(
        &self,
        record: &RequestRecord,
        to: Status,
        response: Value,
        actor: String,
        channel: &str,
    ) -> Transition {
        Transition {
            tenant: record.tenant,
            id: record.id.clone(),
            from: vec![Status::Pending],
            to,
            response: Some(response),
            feedback: None,
            actor,
            actor_name: None,
            channel: channel.into(),
            error: None,
            ballot: None,
            grant: None,
        }
    }

    /// What `decision` by `actor` must become under `record`'s plan: refused when the plan
    /// does not let them decide (not an approver yet, or the requester), a vote when the plan
    /// asks for a quorum, else applied as the table says. Cancelling is never judged: it
    /// withdraws the request rather than deciding it.
    pub(super) fn judge(
        &self,
        record: &RequestRecord,
        decision: &Decision,
        actor: &Actor,
    ) -> Judged {
        if decision.action == Action::Cancel {
            return Judged::Apply;
        }
        let Some(stored) = StoredPlan::of(record) else {
            return Judged::Apply;
        };
        let plan = &stored.plan;
        let identity = &actor.identity;
        if stored.requesters.iter().any(|r| r == identity) {
            return Judged::Refuse(Refusal::OwnRequest {
                identity: identity.clone(),
            });
        }
        let elapsed = elapsed_secs(record);
        if !plan.may_decide(identity, elapsed) {
            return Judged::Refuse(Refusal::NotAnApprover {
                identity: identity.clone(),
                rule: plan.rule.clone(),
            });
        }
        let voting = matches!(decision.action, Action::Approve | Action::Reject);
        match &plan.quorum {
            Some(quorum) if voting && record.loop_type == LoopType::Approval => {
                let eligible = plan
                    .eligible(elapsed)
                    .iter()
                    .filter(|p| !stored.requesters.contains(p))
                    .count();
                Judged::Vote(BallotCast {
                    approve: decision.action == Action::Approve,
                    reason: decision.text.clone(),
                    quorum: quorum.clone(),
                    eligible: u32::try_from(eligible).unwrap_or(u32::MAX),
                    requester: stored.requesters.first().cloned().unwrap_or_default(),
                })
            }
            _ => Judged::Apply,
        }
    }

    /// What the deadline does to a request: the change to apply (expired, or the plan's
    /// default decision, recorded as the policy's and saying so).
    pub(super) fn at_deadline(
        &self,
        record: Option<&RequestRecord>,
    ) -> Option<(Status, Value, String)> {
        let record = record?;
        let stored = StoredPlan::of(record)?;
        let plan = &stored.plan;
        let approve = match plan.at_deadline {
            AtDeadline::Expire => return None,
            AtDeadline::Approve if record.loop_type == LoopType::Approval => true,
            AtDeadline::Reject if record.loop_type != LoopType::Conversation => false,
            // The configuration refuses these; a plan stored before a change expires as usual.
            _ => return None,
        };
        let words = if approve { "approved" } else { "rejected" };
        let reason = format!("{words} by policy at the deadline (rule {})", plan.rule);
        let mut response = by_policy(approve, &plan.rule, "at_deadline", &reason);
        if approve {
            if let Some((function, arguments)) = function_of(&record.context) {
                response["call_hash"] = Value::from(call_hash(function, arguments));
            }
        }
        let to = if approve {
            Status::Approved
        } else {
            Status::Rejected
        };
        Some((to, response, format!("policy:{}", plan.rule)))
    }

    /// Whether an approval of `record` may give a grant of `scope` (`None`: this exact call):
    /// its plan allows grants, it asks about a function call, and a pattern is valid and covers
    /// the call as approved — with `arguments` when the approver edited them (else why not).
    /// Checked before the approval is recorded, so that a refused grant changes nothing.
    pub(crate) fn may_grant(
        &self,
        record: &RequestRecord,
        scope: Option<&GrantScope>,
        arguments: Option<&Value>,
    ) -> Result<(), String> {
        if !StoredPlan::of(record).is_some_and(|s| s.plan.grants) {
            return Err(
                "this request's policy does not allow grants (grants = true in its rule)".into(),
            );
        }
        let Some((function, asked)) = function_of(&record.context) else {
            return Err("a grant needs a request about a function call".into());
        };
        if let Some(scope) = scope {
            scope.check()?;
            let approved = arguments.unwrap_or(asked);
            if !scope.covers(function, approved, &call_hash(function, approved)) {
                return Err("the grant's pattern must cover the call it is given with".into());
            }
        }
        Ok(())
    }

    /// Gives a grant with an approval: for this exact call (single use) or for `scope` (a
    /// pattern) until `expires_at`. Only a request whose plan allows grants may be approved
    /// with one; the grant covers the call as approved (edited arguments included).
    pub(crate) async fn grant_with(
        &self,
        record: &RequestRecord,
        scope: Option<GrantScope>,
        expires_at: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<Result<GrantRecord, String>> {
        let Some((function, asked)) = function_of(&record.context) else {
            return Ok(Err("a grant needs a request about a function call".into()));
        };
        let approved = record.response.as_ref().and_then(|r| r.get("arguments"));
        if let Err(why) = self.may_grant(record, scope.as_ref(), approved) {
            return Ok(Err(why));
        }
        let approved = approved.unwrap_or(asked);
        let scope = match scope {
            Some(scope) => scope,
            None => GrantScope::Exact {
                function: function.to_owned(),
                call_hash: call_hash(function, approved),
            },
        };
        let (function_shown, single_use) = match &scope {
            GrantScope::Exact { function, .. } => (function.clone(), true),
            GrantScope::Pattern { function, .. } => (function.clone(), false),
        };
        if !single_use && expires_at.is_none() {
            return Ok(Err("a pattern grant needs a duration".into()));
        }
        let grant = GrantRecord {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: record.tenant,
            scope: serde_json::to_value(&scope).unwrap_or(Value::Null),
            function: function_shown,
            single_use,
            granted_by: actor.identity.clone(),
            reason: record
                .response
                .as_ref()
                .and_then(|r| r.get("reason"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            source_request: Some(record.id.clone()),
            created_at: now_ms(),
            expires_at,
            used_at: None,
            used_by: None,
            revoked_at: None,
            revoked_by: None,
        };
        self.store().add_grant(&grant).await?;
        Ok(Ok(grant))
    }
}

/// Whether a decided request was decided by a person (not the policy or a grant).
fn is_human(record: &RequestRecord) -> bool {
    record
        .responded_by
        .as_deref()
        .is_some_and(|by| !by.starts_with("policy:") && !by.starts_with("grant:"))
}

/// Seconds since the request arrived, on the hub's clock.
fn elapsed_secs(record: &RequestRecord) -> u64 {
    let created = rfc3339_to_ms(&record.created_at).unwrap_or_else(now_ms);
    u64::try_from((now_ms() - created) / 1000).unwrap_or(0)
}
