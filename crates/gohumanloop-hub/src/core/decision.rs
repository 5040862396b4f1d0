//! What a human did with a request ([`Decision`], by an [`Actor`]) and the one table that says
//! what it means for each loop type: the status the request takes and the response the agent
//! reads. Every channel — the answering API, the inbox, email links, mail replies, webhooks —
//! builds a `Decision` and hands it to [`crate::Hub::decide`]; none maps actions itself.
//!
//! | action | approval | information | conversation | response |
//! |---|---|---|---|---|
//! | approve | `approved` | — | — | `{"decision": "approved", "reason"}` (+ `arguments`, `edited`, `edited_keys` if edited) |
//! | reject | `rejected` | `rejected` | `rejected` | `{"decision": "rejected", "reason"}` |
//! | answer | — | `completed` | — | `{"information"}` |
//! | reply | — | — | `inprogress` | `{"message"}` |
//! | complete | — | — | `completed` | `{"message"}` |
//! | cancel | `cancelled` | `cancelled` | `cancelled` | none |
//!
//! **The rule for words, on every channel:** a rejection needs a reason (the agent is told
//! why); an answer, a reply and a completion need their text unless the decision carries a
//! whole `response` of its own; an approval's reason is optional.

use std::fmt;
use std::str::FromStr;

use gohumanloop::model::{LoopType, Status};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What a human did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Allow what an approval asks (maybe with edited arguments).
    Approve,
    /// Decline any request, with a reason.
    Reject,
    /// Give the information an information request asks for.
    Answer,
    /// Say something in a conversation; it goes on.
    Reply,
    /// Say something in a conversation and end it.
    Complete,
    /// Withdraw the request: nobody needs to answer any more.
    Cancel,
}

impl Action {
    /// Every action, in the table's order.
    pub const ALL: [Action; 6] = [
        Self::Approve,
        Self::Reject,
        Self::Answer,
        Self::Reply,
        Self::Complete,
        Self::Cancel,
    ];

    /// The word channels use for it (`approve`, `reject`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Answer => "answer",
            Self::Reply => "reply",
            Self::Complete => "complete",
            Self::Cancel => "cancel",
        }
    }

    /// The loop types it applies to.
    pub(crate) fn loop_types(self) -> &'static [LoopType] {
        match self {
            Self::Approve => &[LoopType::Approval],
            Self::Answer => &[LoopType::Information],
            Self::Reply | Self::Complete => &[LoopType::Conversation],
            Self::Reject | Self::Cancel => &LoopType::ALL,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a decision (use approve, reject, answer, reply, complete or cancel)")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == word)
            .ok_or_else(|| UnknownAction(word.to_owned()))
    }
}

/// Who decided, and through which channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The channel it came through (`api`, `web`, `email-link`, `email`, `webhook:NAME`, …):
    /// the audit log's channel.
    pub channel: String,
    /// Who, as the channel knows them (a key's name, a user, an address): `responded_by`.
    pub identity: String,
    /// How people know them, when the channel says (a mail's `Name <address>`, a chat
    /// user's name): kept in the audit entry beside the identity.
    pub display_name: Option<String>,
}

impl Actor {
    /// `identity` deciding through `channel`.
    pub fn new(channel: impl Into<String>, identity: impl Into<String>) -> Self {
        Self {
            channel: channel.into(),
            identity: identity.into(),
            display_name: None,
        }
    }

    /// The same actor, known to people as `name` (ignored when blank or the identity itself).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        let name = name.into().trim().to_owned();
        self.display_name = (!name.is_empty() && name != self.identity).then_some(name);
        self
    }
}

/// A human's decision on one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// What they did.
    pub action: Action,
    /// The reason (approve, reject) or the text (answer, reply, complete), trimmed.
    pub text: String,
    /// Approve only: the arguments as the approver edited them.
    pub arguments: Option<Value>,
    /// A whole response that replaces the one the table builds (the answering API's
    /// `response`; what a mail reply records).
    pub response: Option<Value>,
    /// Extra remarks (`feedback`).
    pub feedback: Option<Value>,
}

impl Decision {
    /// `action` with its reason or text (trimmed; empty for none).
    pub fn new(action: Action, text: &str) -> Self {
        Self {
            action,
            text: text.trim().to_owned(),
            arguments: None,
            response: None,
            feedback: None,
        }
    }

    /// The same decision with edited arguments (approve only).
    pub(crate) fn with_arguments(mut self, arguments: Option<Value>) -> Self {
        self.arguments = arguments;
        self
    }

    /// The same decision with a whole response of its own.
    pub(crate) fn with_response(mut self, response: Option<Value>) -> Self {
        self.response = response;
        self
    }

    /// The same decision with feedback.
    pub(crate) fn with_feedback(mut self, feedback: Option<Value>) -> Self {
        self.feedback = feedback;
        self
    }

    /// Whether the table takes this decision for a request of `loop_type` (without applying
    /// it): for channels that must know before they spend something, such as a single-use
    /// link.
    pub fn check(&self, loop_type: LoopType) -> Result<(), Refusal> {
        resolve(loop_type, self).map(drop)
    }
}

/// Why a decision was refused (nothing was recorded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The action does not apply to this loop type.
    #[error("{action} is not an action for a request of type {loop_type}")]
    NotForType {
        /// What was asked.
        action: Action,
        /// The request's type.
        loop_type: LoopType,
    },
    /// A rejection without a reason.
    #[error("a rejection needs a reason")]
    ReasonMissing,
    /// An answer, reply or completion without text.
    #[error("give the {action} as text")]
    TextMissing {
        /// What was asked.
        action: Action,
    },
    /// Edited arguments with an action other than an approval.
    #[error("only an approval takes edited arguments, not a {action}")]
    ArgumentsNotForAction {
        /// What was asked.
        action: Action,
    },
    /// Edited arguments that are not a JSON object.
    #[error("edited arguments must be a JSON object")]
    ArgumentsNotObject,
    /// The request's plan does not name this person among those who may decide (yet: an
    /// escalation may add them later).
    #[error("{identity} is not among the approvers of this request (policy rule '{rule}')")]
    NotAnApprover {
        /// Who tried.
        identity: String,
        /// The rule whose plan names the approvers.
        rule: String,
    },
    /// The person who asked may not decide on their own request.
    #[error("{identity} asked for this request and may not decide on it")]
    OwnRequest {
        /// Who tried.
        identity: String,
    },
    /// A second vote by the same person on a request that needs a quorum.
    #[error("{identity} has already voted on this request")]
    AlreadyVoted {
        /// Who tried.
        identity: String,
    },
}

/// What the table makes of a decision: the status, and the response if it is an answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolution {
    /// The status the request takes.
    pub to: Status,
    /// The answer (`None`: not an answer — a cancellation).
    pub response: Option<Value>,
}

/// The statuses from which a request of `loop_type` may move to `to` (the compare-and-set's
/// "from").
pub(crate) fn sources(loop_type: LoopType, to: Status) -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|from| loop_type.allows(*from, to))
        .collect()
}

/// [`resolve`] for a request whose function was called with `asked` (its
/// `context.function.arguments`): an approval with edited arguments also tells the agent that
/// they were edited and which keys changed (`"edited": true, "edited_keys": [...]`, sorted;
/// keys added, removed or changed), and arguments equal to the asked ones are no edit at all.
pub(crate) fn resolve_for(
    loop_type: LoopType,
    asked: Option<&Value>,
    decision: &Decision,
) -> Result<Resolution, Refusal> {
    let unchanged = decision.response.is_none()
        && decision.arguments.is_some()
        && decision.arguments.as_ref() == asked;
    if unchanged {
        let plain = decision.clone().with_arguments(None);
        return resolve(loop_type, &plain);
    }
    let mut resolution = resolve(loop_type, decision)?;
    if let (Some(edited), None, Some(response)) = (
        &decision.arguments,
        &decision.response,
        resolution.response.as_mut(),
    ) {
        response["edited"] = Value::Bool(true);
        response["edited_keys"] = Value::from(edited_keys(asked, edited));
    }
    Ok(resolution)
}

/// The keys of `edited` that differ from `asked` (added, removed or changed), sorted; every
/// key of `edited` when `asked` is not an object (e.g. the original client's argument text).
pub(crate) fn edited_keys(asked: Option<&Value>, edited: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let before = asked.and_then(Value::as_object);
    let after = edited.as_object().unwrap_or(&empty);
    let mut keys: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.and_then(|b| b.get(*k)) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(
            before
                .unwrap_or(&empty)
                .keys()
                .filter(|k| !after.contains_key(*k))
                .cloned(),
        )
        .collect();
    keys.sort();
    keys
}

/// **The table**: what `decision` means for a request of `loop_type`.
pub(crate) fn resolve(loop_type: LoopType, decision: &Decision) -> Result<Resolution, Refusal> {
    let action = decision.action;
    if !action.loop_types().contains(&loop_type) {
        return Err(Refusal::NotForType { action, loop_type });
    }
    if let Some(arguments) = &decision.arguments {
        if action != Action::Approve {
            return Err(Refusal::ArgumentsNotForAction { action });
        }
        if !arguments.is_object() {
            return Err(Refusal::ArgumentsNotObject);
        }
    }
    let text = decision.text.as_str();
    let needs_text = matches!(action, Action::Answer | Action::Reply | Action::Complete);
    if action == Action::Reject && text.is_empty() {
        return Err(Refusal::ReasonMissing);
    }
    if needs_text && text.is_empty() && decision.response.is_none() {
        return Err(Refusal::TextMissing { action });
    }
    let (to, built) = match action {
        Action::Approve => {
            let mut response = json!({"decision": "approved", "reason": text});
            if let Some(arguments) = &decision.arguments {
                response["arguments"] = arguments.clone();
            }
            (Status::Approved, Some(response))
        }
        Action::Reject => (
            Status::Rejected,
            Some(json!({"decision": "rejected", "reason": text})),
        ),
        Action::Answer => (Status::Completed, Some(json!({ "information": text }))),
        Action::Reply => (Status::InProgress, Some(json!({ "message": text }))),
        Action::Complete => (Status::Completed, Some(json!({ "message": text }))),
        Action::Cancel => (Status::Cancelled, None),
    };
    let response = match (&decision.response, built) {
        (Some(own), Some(_)) => Some(own.clone()),
        (_, built) => built,
    };
    Ok(Resolution { to, response })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_approval_names_the_keys_it_changed() {
        let asked = json!({"to": "a", "amount": 5, "memo": "x"});
        let approve = Decision::new(Action::Approve, "ok");
        let edited = approve
            .clone()
            .with_arguments(Some(json!({"to": "a", "amount": 7, "note": "n"})));
        assert_eq!(
            resolve_for(LoopType::Approval, Some(&asked), &edited)
                .unwrap()
                .response,
            Some(json!({"decision": "approved", "reason": "ok",
                "arguments": {"to": "a", "amount": 7, "note": "n"},
                "edited": true, "edited_keys": ["amount", "memo", "note"]}))
        );
        // The same arguments sent back are no edit.
        let same = approve.clone().with_arguments(Some(asked.clone()));
        assert_eq!(
            resolve_for(LoopType::Approval, Some(&asked), &same)
                .unwrap()
                .response,
            Some(json!({"decision": "approved", "reason": "ok"}))
        );
        // Against the original client's argument text, every key is an edit.
        let text = json!("(1, 2)");
        let edited = approve.with_arguments(Some(json!({"b": 1, "a": 2})));
        assert_eq!(
            resolve_for(LoopType::Approval, Some(&text), &edited)
                .unwrap()
                .response
                .unwrap()["edited_keys"],
            json!(["a", "b"])
        );
    }

    #[test]
    fn an_actor_is_named_only_by_a_name_of_its_own() {
        let actor = Actor::new("email", "ann@example.com");
        assert_eq!(actor.display_name, None);
        let named = actor.clone().named("  Ann Approver <ann@example.com> ");
        assert_eq!(
            named.display_name.as_deref(),
            Some("Ann Approver <ann@example.com>")
        );
        assert_eq!(actor.clone().named("   ").display_name, None);
        assert_eq!(actor.named("ann@example.com").display_name, None);
    }

    /// Every decision a channel can build: each action, with and without words, with and
    /// without a response of its own, with and without edited arguments.
    fn every_decision() -> Vec<Decision> {
        let mut all = Vec::new();
        for action in Action::ALL {
            for text in ["", "  ", "why not"] {
                for response in [None, Some(json!({"own": true}))] {
                    for arguments in [None, Some(json!({"path": "/tmp"})), Some(json!(["/tmp"]))] {
                        all.push(
                            Decision::new(action, text)
                                .with_response(response.clone())
                                .with_arguments(arguments),
                        );
                    }
                }
            }
        }
        all
    }

    #[test]
    fn no_decision_yields_a_transition_its_loop_type_forbids() {
        let mut taken = 0;
        for loop_type in LoopType::ALL {
            for decision in every_decision() {
                match resolve(loop_type, &decision) {
                    Ok(resolution) => {
                        taken += 1;
                        assert!(
                            loop_type.allows(Status::Pending, resolution.to),
                            "{loop_type}: {decision:?} -> {}",
                            resolution.to
                        );
                        assert_eq!(
                            resolution.response.is_none(),
                            decision.action == Action::Cancel,
                            "only a cancellation is no answer"
                        );
                    }
                    Err(Refusal::NotForType { .. }) => {
                        assert!(!decision.action.loop_types().contains(&loop_type));
                    }
                    Err(Refusal::ReasonMissing) => {
                        assert_eq!(decision.action, Action::Reject);
                        assert!(decision.text.is_empty());
                    }
                    Err(Refusal::TextMissing { action }) => {
                        assert_eq!(action, decision.action);
                        assert!(decision.text.is_empty() && decision.response.is_none());
                    }
                    Err(Refusal::ArgumentsNotForAction { action }) => {
                        assert_eq!(action, decision.action);
                        assert!(action != Action::Approve && decision.arguments.is_some());
                    }
                    Err(Refusal::ArgumentsNotObject) => {
                        assert_eq!(decision.action, Action::Approve);
                        assert!(decision.arguments.as_ref().is_some_and(|a| !a.is_object()));
                    }
                    Err(
                        why @ (Refusal::NotAnApprover { .. }
                        | Refusal::OwnRequest { .. }
                        | Refusal::AlreadyVoted { .. }),
                    ) => panic!("the table never judges people: {why}"),
                }
            }
        }
        // Approval 12 + 2 + 6, information 4 + 6 + 2, conversation 4 + 4 + 6 + 2: edited
        // arguments are taken on an approval only, and only as an object.
        assert_eq!(taken, 20 + 12 + 16, "every allowed pairing was taken");
    }

    #[test]
    fn the_table_gives_the_shapes_the_original_examples_read() {
        let approve = Decision::new(Action::Approve, " ok ");
        assert_eq!(
            resolve(LoopType::Approval, &approve).unwrap(),
            Resolution {
                to: Status::Approved,
                response: Some(json!({"decision": "approved", "reason": "ok"})),
            }
        );
        let edited = approve.with_arguments(Some(json!({"amount": 5})));
        assert_eq!(
            resolve(LoopType::Approval, &edited).unwrap().response,
            Some(json!({"decision": "approved", "reason": "ok", "arguments": {"amount": 5}}))
        );
        let reject = Decision::new(Action::Reject, "too risky");
        for loop_type in LoopType::ALL {
            assert_eq!(
                resolve(loop_type, &reject).unwrap(),
                Resolution {
                    to: Status::Rejected,
                    response: Some(json!({"decision": "rejected", "reason": "too risky"})),
                }
            );
        }
        let answer = Decision::new(Action::Answer, "42");
        assert_eq!(
            resolve(LoopType::Information, &answer).unwrap(),
            Resolution {
                to: Status::Completed,
                response: Some(json!({"information": "42"})),
            }
        );
        for (action, to) in [
            (Action::Reply, Status::InProgress),
            (Action::Complete, Status::Completed),
        ] {
            assert_eq!(
                resolve(LoopType::Conversation, &Decision::new(action, "hi")).unwrap(),
                Resolution {
                    to,
                    response: Some(json!({"message": "hi"})),
                }
            );
        }
        let own = Decision::new(Action::Answer, "").with_response(Some(json!([1, 2])));
        assert_eq!(
            resolve(LoopType::Information, &own).unwrap().response,
            Some(json!([1, 2]))
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            resolve(LoopType::Approval, &Decision::new(Action::Reject, " ")),
            Err(Refusal::ReasonMissing)
        );
        let own = Decision::new(Action::Reject, "").with_response(Some(json!({})));
        assert_eq!(
            resolve(LoopType::Approval, &own),
            Err(Refusal::ReasonMissing),
            "a response of its own does not replace the reason"
        );
        let refused = resolve(LoopType::Information, &Decision::new(Action::Approve, ""));
        assert_eq!(
            refused.unwrap_err().to_string(),
            "approve is not an action for a request of type information"
        );
        assert_eq!(
            "complete".parse::<Action>().unwrap(),
            Action::Complete,
            "the webhook's word"
        );
        assert!("approved".parse::<Action>().is_err());
    }
}
