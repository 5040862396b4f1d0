//! The request page's policy box: which rule planned the request, who may decide, the votes
//! toward its quorum, its escalation and what its deadline will do — so that the person deciding
//! knows why they were asked and what happens if nobody answers.

use crate::core::PlanView;
use crate::html::i18n::Lang;
use crate::store::BallotRecord;

/// One line of the box: a label and its value.
pub(crate) type PolicyLine = (&'static str, String);

/// The box's lines for a request planned by `plan`, with the votes cast so far.
pub(crate) fn lines(plan: &PlanView, ballots: &[BallotRecord], lang: Lang) -> Vec<PolicyLine> {
    let zh = lang == Lang::Zh;
    let pick = |en: &'static str, cn: &'static str| if zh { cn } else { en };
    let mut lines = vec![(pick("Rule", "规则"), plan.rule.clone())];
    let anyone = pick("anyone who sees it", "任何可见者");
    let approvers = if plan.approvers.is_empty() {
        anyone.to_owned()
    } else {
        plan.approvers.join(", ")
    };
    lines.push((pick("May decide", "可决定者"), approvers));
    if let Some((needed, veto)) = plan.quorum {
        let approvals: Vec<&str> = ballots
            .iter()
            .filter(|b| b.approve != 0)
            .map(|b| b.identity.as_str())
            .collect();
        let rule = match (veto, zh) {
            (true, false) => "one rejection rejects",
            (false, false) => "rejected by majority",
            (true, true) => "一票否决",
            (false, true) => "多数否决",
        };
        let votes = if zh {
            format!("{} / {needed} 票同意（{rule}）", approvals.len())
        } else {
            format!("{} of {needed} approvals ({rule})", approvals.len())
        };
        let votes = if approvals.is_empty() {
            votes
        } else {
            format!("{votes}: {}", approvals.join(", "))
        };
        lines.push((pick("Quorum", "法定票数"), votes));
    }
    for (after_mins, to) in &plan.escalation {
        let when = if zh {
            format!("{after_mins} 分钟后升级至 {to}")
        } else {
            format!("after {after_mins} min to {to}")
        };
        lines.push((pick("Escalation", "升级"), when));
    }
    if let Some(default) = &plan.at_deadline {
        let text = match (default.as_str(), zh) {
            ("approve", false) => "approved by policy",
            ("reject", false) => "rejected by policy",
            ("approve", true) => "由策略批准",
            ("reject", true) => "由策略拒绝",
            (_, false) => "expires",
            (_, true) => "过期",
        };
        lines.push((pick("At the deadline", "截止时"), text.to_owned()));
    }
    if let Some(why) = &plan.repeats {
        lines.push((pick("Asked again", "重复请求"), why.clone()));
    }
    lines
}
