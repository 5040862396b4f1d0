//! The decide step of every chat platform's inbound side: a click, already verified and
//! parsed, checked against the channel's routes and handed to [`crate::Hub::decide`]. Nothing
//! here knows a platform's wire format.

use gohumanloop::model::Status;

use super::people::{Directory, Person};
use super::route::{self, ChatRoute, Routes};
use crate::channels::ChannelError;
use crate::core::verdict::winner_words;
use crate::core::{Action, Actor, Decision, Hub, PlanView, Verdict};
use crate::record::RequestRecord;
use crate::store::{LinkUse, StoreError};

/// What a human did in a card, as the platform's parser read it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interaction {
    /// The hub's id of the request (carried in the button's value).
    pub request_id: String,
    /// What they did.
    pub action: Action,
    /// The reason or the text they typed (empty: none).
    pub text: String,
    /// Their user id on the platform.
    pub user_id: String,
    /// The name the platform gave with the click, if any.
    pub user_name: Option<String>,
}

/// How a click ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Acted {
    /// Recorded: the request as it is now.
    Decided(Box<RequestRecord>),
    /// Someone was first: the request as they left it.
    Conflict(Box<RequestRecord>),
    /// Not valid for this request (e.g. a rejection without a reason): why.
    Refused(String),
    /// This person may not decide requests of this route; nothing recorded.
    NotAllowed(Person),
    /// The request is unknown here (or not this channel's).
    NotFound,
    /// A vote toward the request's quorum was recorded: the request (still pending) and the
    /// count in words.
    Voted(Box<RequestRecord>, String),
}

impl Acted {
    /// A line for the person who clicked, when the platform shows them a notice.
    pub(crate) fn notice(&self) -> String {
        match self {
            Acted::Decided(record) => format!("Recorded: {}", record.status),
            Acted::Conflict(winner) => format!("Already {}", winner_words(winner)),
            Acted::Refused(why) => why.clone(),
            Acted::NotAllowed(person) => format!(
                "{} may not decide this request (not an approver of its route)",
                person.display_name.as_deref().unwrap_or(&person.identity)
            ),
            Acted::NotFound => "This request is no longer available.".into(),
            Acted::Voted(_, words) => format!("Thank you: {words}"),
        }
    }
}

/// What a channel's inbound side needs to decide.
#[derive(Clone)]
pub(crate) struct ChatInbound {
    /// The hub.
    pub hub: Hub,
    /// The channel's name (`slack:ops`): the audit's channel.
    pub channel: String,
    /// The platform's key in the directory (`slack`, `feishu`, `wecom`).
    pub platform: &'static str,
    /// The channel's routes.
    pub routes: Routes,
    /// The approvers.
    pub directory: std::sync::Arc<Directory>,
}

impl ChatInbound {
    /// The decide step of the chat channel `kind:name` on `hub`, with its routes' tenants
    /// resolved.
    pub(crate) async fn start(
        hub: Hub,
        kind: &'static str,
        name: &str,
        routes: &[ChatRoute],
        directory: std::sync::Arc<Directory>,
    ) -> Result<Self, ChannelError> {
        let routes = route::resolve(&hub, routes, &format!("{kind} '{name}'")).await?;
        Ok(Self {
            hub,
            channel: format!("{kind}:{name}"),
            platform: kind,
            routes,
            directory,
        })
    }

    /// The request a click names, if it is this channel's.
    pub(crate) async fn request(&self, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let found = self.hub.store().by_id(id).await?;
        Ok(found.filter(|r| self.routes.matching(r).next().is_some()))
    }

    /// Where escalated `people` are reached here: their accounts on this platform, when the
    /// request is this channel's (it fits one of its routes).
    pub(crate) fn escalation_recipients(
        &self,
        record: &RequestRecord,
        people: &[String],
    ) -> Vec<String> {
        if self.routes.matching(record).next().is_none() {
            return Vec::new();
        }
        let mut accounts: Vec<String> = Vec::new();
        for person in people {
            for account in self.directory.accounts(person, self.platform) {
                if !accounts.contains(account) {
                    accounts.push(account.clone());
                }
            }
        }
        accounts
    }

    /// Whether `identity` may decide `record` here: a route it fits allows them, or the
    /// request's plan does now (its approvers, and the people of the escalation steps reached,
    /// who may not be among a route's approvers; the core checks the plan again).
    fn may_decide(&self, record: &RequestRecord, identity: &str) -> bool {
        self.routes.may_decide(record, identity)
            || (self.routes.matching(record).next().is_some()
                && PlanView::of(record)
                    .is_some_and(|plan| plan.approvers.iter().any(|a| a == identity)))
    }

    /// Who clicked, as the hub names them.
    pub(crate) fn person(&self, user_id: &str, user_name: Option<&str>) -> Person {
        self.directory.person(self.platform, user_id, user_name)
    }

    /// Whether `person` may decide `record` here, and whether it still waits for a decision:
    /// what a platform checks before it asks for a reason (nothing recorded either way).
    pub(crate) fn precheck(&self, record: &RequestRecord, person: &Person) -> Option<Acted> {
        if !self.may_decide(record, &person.identity) {
            return Some(Acted::NotAllowed(person.clone()));
        }
        (record.status != Status::Pending).then(|| Acted::Conflict(Box::new(record.clone())))
    }

    /// Each signed callback decides once: `key` (a signature, an event id) is remembered, and
    /// a second use of it is a replay.
    pub(crate) async fn first_use(&self, key: &str, request_id: &str) -> Result<bool, StoreError> {
        let seen = format!("{}:{key}", self.channel);
        Ok(self.hub.store().use_link(&seen, request_id).await? == LinkUse::First)
    }

    /// Decides `interaction`: the person must be allowed by a route the request fits.
    pub(crate) async fn act(&self, interaction: Interaction) -> Result<Acted, StoreError> {
        let Some(record) = self.request(&interaction.request_id).await? else {
            return Ok(Acted::NotFound);
        };
        let person = self.person(&interaction.user_id, interaction.user_name.as_deref());
        if !self.may_decide(&record, &person.identity) {
            return Ok(Acted::NotAllowed(person));
        }
        let mut actor = Actor::new(self.channel.clone(), person.identity.clone());
        if let Some(name) = &person.display_name {
            actor = actor.named(name.clone());
        }
        let decision = Decision::new(interaction.action, &interaction.text);
        Ok(match self.hub.decide_on(&record, decision, &actor).await? {
            Verdict::Changed { record, .. } => Acted::Decided(record),
            Verdict::Conflict(winner) => Acted::Conflict(winner),
            Verdict::Refused(why) => Acted::Refused(why.to_string()),
            Verdict::NotFound => Acted::NotFound,
            Verdict::Voted { record, tally } => {
                Acted::Voted(record, crate::core::verdict::tally_words(&tally))
            }
        })
    }
}
