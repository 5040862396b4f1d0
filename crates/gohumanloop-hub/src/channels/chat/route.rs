//! A chat channel's routes: which requests it gets (by platform, tenant and metadata), whom
//! they go to, and who may decide them. An agent that names channels in `metadata.channels`
//! narrows this further (the dispatcher checks that for every channel).

use std::collections::BTreeMap;

use gohumanloop::model::LoopType;
use serde_json::Value;

use crate::record::{RequestRecord, TenantId};

/// Why an OA route does not take an information or conversation request.
const OA_APPROVALS_ONLY: &str = "an approval flow only approves or rejects: information and \
     conversation requests are answered in the inbox or another channel";

/// One route of a chat channel (`[[slack.route]]` and the like in the configuration file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatRoute {
    /// Where its requests go, as the platform names them (a channel or chat id, a user id).
    pub to: Vec<String>,
    /// Only requests of these platforms (`None`: all).
    pub platforms: Option<Vec<String>>,
    /// Only requests of this tenant, by name (`None`: every tenant's).
    pub tenant: Option<String>,
    /// Only requests whose metadata has each of these keys with this value (as text).
    pub metadata: BTreeMap<String, String>,
    /// Who may decide its requests, by identity (`None`: anyone the card reaches).
    pub approvers: Option<Vec<String>>,
    /// The platform's own approval flow instead of a card (Feishu's approval definition
    /// code, WeCom's approval template id): the original's OA mode.
    pub approval: Option<String>,
}

impl ChatRoute {
    /// Whether a request of `tenant` (the route's tenant already resolved to an id) fits.
    fn fits(&self, tenant: Option<TenantId>, record: &RequestRecord) -> bool {
        let tenant_fits = tenant.is_none_or(|t| t == record.tenant);
        let platform_fits = self
            .platforms
            .as_ref()
            .is_none_or(|platforms| platforms.iter().any(|p| p == &record.platform));
        let metadata_fits =
            self.metadata
                .iter()
                .all(|(key, want)| match record.metadata.get(key) {
                    Some(Value::String(text)) => text == want,
                    Some(Value::Null) | None => false,
                    Some(other) => &other.to_string() == want,
                });
        tenant_fits && platform_fits && metadata_fits
    }
}

/// A channel's routes with their tenants resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct Routes {
    routes: Vec<(ChatRoute, Option<TenantId>)>,
}

impl Routes {
    /// `routes`, each with the id of its tenant (`None`: any).
    pub(crate) fn new(routes: Vec<(ChatRoute, Option<TenantId>)>) -> Self {
        Self { routes }
    }

    /// The routes a request fits.
    pub(crate) fn matching<'a>(
        &'a self,
        record: &'a RequestRecord,
    ) -> impl Iterator<Item = &'a ChatRoute> + 'a {
        self.routes
            .iter()
            .filter(|(route, tenant)| route.fits(*tenant, record))
            .map(|(route, _)| route)
    }

    /// Everyone a request goes to, each once, in the routes' order.
    pub(crate) fn recipients(&self, record: &RequestRecord) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for to in self.matching(record).flat_map(|r| &r.to) {
            if !all.contains(to) {
                all.push(to.clone());
            }
        }
        all
    }

    /// The first route that sends the request to `recipient`, if any.
    pub(crate) fn route_to<'a>(
        &'a self,
        record: &'a RequestRecord,
        recipient: &str,
    ) -> Option<&'a ChatRoute> {
        self.matching(record)
            .find(|r| r.to.iter().any(|to| to == recipient))
    }

    /// The approval definition (or template) the route sending the request to `recipient`
    /// names, when it is an OA route; `Err` with why not when the request is no approval (an
    /// approval flow only approves or rejects).
    pub(crate) fn approval_for<'a>(
        &'a self,
        record: &'a RequestRecord,
        recipient: &str,
    ) -> Option<Result<&'a str, &'static str>> {
        let approval = self.route_to(record, recipient)?.approval.as_deref()?;
        Some(if record.loop_type == LoopType::Approval {
            Ok(approval)
        } else {
            Err(OA_APPROVALS_ONLY)
        })
    }

    /// Whether `identity` may decide the request here: a route it fits lets anyone, or
    /// names them. A request that fits no route is not this channel's to decide.
    pub(crate) fn may_decide(&self, record: &RequestRecord, identity: &str) -> bool {
        self.matching(record).any(|route| {
            route
                .approvers
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n == identity))
        })
    }
}

/// `routes` with their tenants' names resolved on `hub` (`label` names the channel in an
/// error).
pub(crate) async fn resolve(
    hub: &crate::core::Hub,
    routes: &[ChatRoute],
    label: &str,
) -> Result<Routes, crate::channels::ChannelError> {
    let mut resolved = Vec::new();
    let tenants = hub.store().tenants().await?;
    for route in routes {
        let tenant = match &route.tenant {
            Some(name) => Some(
                tenants
                    .iter()
                    .find(|t| &t.name == name)
                    .map(|t| t.id)
                    .ok_or_else(|| {
                        crate::channels::ChannelError::Config(format!(
                            "{label}: the hub has no tenant '{name}'"
                        ))
                    })?,
            ),
            None => None,
        };
        resolved.push((route.clone(), tenant));
    }
    Ok(Routes::new(resolved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(platform: &str, metadata: Value) -> RequestRecord {
        let mut record = crate::record::tests_support::record("h1");
        record.platform = platform.into();
        record.metadata = metadata;
        record
    }

    #[test]
    fn routes_pick_by_platform_tenant_and_metadata_and_name_who_decides() {
        let ops = ChatRoute {
            to: vec!["C1".into(), "U2".into()],
            platforms: Some(vec!["deploy".into()]),
            metadata: BTreeMap::from([("team".into(), "payments".into())]),
            approvers: Some(vec!["alice".into()]),
            ..ChatRoute::default()
        };
        let all = ChatRoute {
            to: vec!["C9".into(), "C1".into()],
            ..ChatRoute::default()
        };
        let other_tenant = ChatRoute {
            to: vec!["C5".into()],
            ..ChatRoute::default()
        };
        let routes = Routes::new(vec![(ops, None), (all, None), (other_tenant, Some(99))]);
        let paid = record("deploy", json!({"team": "payments"}));
        assert_eq!(routes.recipients(&paid), ["C1", "U2", "C9"]);
        let other = record("deploy", json!({"team": "search"}));
        assert_eq!(routes.recipients(&other), ["C9", "C1"]);
        assert!(routes.may_decide(&paid, "alice") && routes.may_decide(&paid, "bob"));
        let only_ops = Routes::new(vec![(routes.routes[0].0.clone(), None)]);
        assert!(only_ops.may_decide(&paid, "alice"));
        assert!(!only_ops.may_decide(&paid, "bob"));
        assert!(!only_ops.may_decide(&other, "alice"), "not routed here");
    }
}
