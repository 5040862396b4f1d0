//! Tests of the policy as a whole: checks, the example, matching, plans, and properties.

mod checks;
mod example;
mod matching;
mod plans;
mod prop_quorum;
mod prop_rules;

use super::Policy;

/// The `[policy]` table of a configuration file written as TOML.
pub(super) fn load(text: &str) -> Result<Policy, Vec<String>> {
    let document: toml::Value = toml::from_str(text).map_err(|e| vec![format!("toml: {e}")])?;
    let empty = toml::Value::Table(toml::Table::new());
    Policy::from_toml(document.get("policy").unwrap_or(&empty))
}

/// The problems of a policy that should be refused (empty when it was accepted).
pub(super) fn problems(text: &str) -> Vec<String> {
    load(text).err().unwrap_or_default()
}
