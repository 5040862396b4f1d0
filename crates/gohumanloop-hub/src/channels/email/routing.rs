//! Who gets a request's mail: `metadata.recipient_email` when the agent named someone, else the
//! first routing rule that matches the request's platform.

use gohumanloop::providers::email::recipients;
use serde_json::Value;

use crate::record::RequestRecord;

/// `PLATFORM=ADDRESS[,ADDRESS…]`; `*` matches every platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    /// The platform it applies to (`None`: all).
    pub platform: Option<String>,
    /// The addresses.
    pub recipients: Vec<String>,
}

impl std::str::FromStr for RouteRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (platform, addresses) = text
            .split_once('=')
            .ok_or_else(|| format!("route '{text}' is not PLATFORM=ADDRESS[,ADDRESS]"))?;
        let recipients: Vec<String> = addresses
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        if recipients.is_empty() || recipients.iter().any(|a| !a.contains('@')) {
            return Err(format!("route '{text}' names no valid address"));
        }
        let platform = platform.trim();
        Ok(Self {
            platform: (platform != "*" && !platform.is_empty()).then(|| platform.to_owned()),
            recipients,
        })
    }
}

/// The addresses a request goes to (empty: it is not mailed).
pub(crate) fn recipients_of(record: &RequestRecord, rules: &[RouteRule]) -> Vec<String> {
    if let Value::Object(metadata) = &record.metadata {
        let named = recipients(metadata);
        if !named.is_empty() {
            return named;
        }
    }
    rules
        .iter()
        .find(|rule| {
            rule.platform
                .as_deref()
                .is_none_or(|p| p == record.platform)
        })
        .map(|rule| rule.recipients.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_refuse() {
        let rule: RouteRule = "ops=a@x.test, b@x.test".parse().unwrap();
        assert_eq!(rule.platform.as_deref(), Some("ops"));
        assert_eq!(rule.recipients, ["a@x.test", "b@x.test"]);
        assert_eq!("*=a@x.test".parse::<RouteRule>().unwrap().platform, None);
        assert!("nothing".parse::<RouteRule>().is_err());
        assert!("ops=not-an-address".parse::<RouteRule>().is_err());
    }
}
