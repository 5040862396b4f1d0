//! The approvers (`[[approver]]` in the configuration file) and how each chat platform knows
//! them.

use std::collections::BTreeMap;

/// A person who decides, and their user ids on the chat platforms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approver {
    /// Their identity in the hub: `responded_by`, the audit's actor, a route's `approvers`.
    pub name: String,
    /// How people know them (shown on cards and kept in the audit).
    pub display_name: Option<String>,
    /// Their user ids by platform (`slack` → `U0123`, `feishu` → `ou_…`, `wecom` → a userid).
    pub accounts: BTreeMap<String, Vec<String>>,
}

/// Who clicked, as the hub names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The identity (`alice`; `slack:U0123` for someone the configuration does not name).
    pub identity: String,
    /// How people know them, when known.
    pub display_name: Option<String>,
}

/// Every approver, looked up by platform account.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    approvers: Vec<Approver>,
}

impl Directory {
    /// A directory of these approvers.
    pub fn new(approvers: Vec<Approver>) -> Self {
        Self { approvers }
    }

    /// The person behind `user_id` on `platform`; `platform_name` is the name the platform
    /// gave with the click, used when the configuration does not name them.
    pub fn person(&self, platform: &str, user_id: &str, platform_name: Option<&str>) -> Person {
        let found = self.approvers.iter().find(|a| {
            a.accounts
                .get(platform)
                .is_some_and(|ids| ids.iter().any(|id| id == user_id))
        });
        match found {
            Some(approver) => Person {
                identity: approver.name.clone(),
                display_name: approver.display_name.clone(),
            },
            None => Person {
                identity: format!("{platform}:{user_id}"),
                display_name: platform_name
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
            },
        }
    }

    /// The accounts of the person named `identity` on `platform` (none when the configuration
    /// does not name them there).
    pub fn accounts(&self, identity: &str, platform: &str) -> &[String] {
        self.approvers
            .iter()
            .find(|a| a.name == identity)
            .and_then(|a| a.accounts.get(platform))
            .map_or(&[], Vec::as_slice)
    }

    /// How an identity is shown: its display name when the configuration gives one.
    pub fn shown(&self, identity: &str) -> String {
        self.approvers
            .iter()
            .find(|a| a.name == identity)
            .and_then(|a| a.display_name.clone())
            .unwrap_or_else(|| identity.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_account_is_the_person_and_a_stranger_keeps_the_platform_id() {
        let directory = Directory::new(vec![Approver {
            name: "alice".into(),
            display_name: Some("Alice Chen".into()),
            accounts: BTreeMap::from([("slack".into(), vec!["U1".into()])]),
        }]);
        let alice = directory.person("slack", "U1", Some("alice.c"));
        assert_eq!(
            (alice.identity.as_str(), alice.display_name.as_deref()),
            ("alice", Some("Alice Chen"))
        );
        let stranger = directory.person("feishu", "U1", Some(" Bob "));
        assert_eq!(
            (stranger.identity.as_str(), stranger.display_name.as_deref()),
            ("feishu:U1", Some("Bob"))
        );
        assert_eq!(directory.shown("alice"), "Alice Chen");
        assert_eq!(directory.shown("feishu:U1"), "feishu:U1");
    }
}
