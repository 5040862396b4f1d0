//! [`Gated`]: which tool calls need a human before they run.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use rig_core::tool::Tool;
use serde_json::Value;

use crate::AskHuman;

type Predicate = Arc<dyn Fn(&str, &Value) -> bool + Send + Sync>;

#[derive(Clone)]
enum Rule {
    All,
    Named(BTreeSet<String>),
    Matching(Predicate),
}

/// Which tool calls need a human: every call, calls of the tools named, or calls a predicate on
/// the tool's name and arguments picks — less the tools declared read-only, which always pass.
#[derive(Clone)]
pub struct Gated {
    rule: Rule,
    read_only: BTreeSet<String>,
}

impl Gated {
    /// Every tool call.
    pub fn all() -> Self {
        Self::with(Rule::All)
    }

    /// Calls of these tools.
    pub fn named<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with(Rule::Named(names.into_iter().map(Into::into).collect()))
    }

    /// Calls for which `predicate(tool_name, arguments)` is true (e.g. a payment above a sum,
    /// a path outside a folder).
    pub fn matching(predicate: impl Fn(&str, &Value) -> bool + Send + Sync + 'static) -> Self {
        Self::with(Rule::Matching(Arc::new(predicate)))
    }

    /// These tools never need a human, whatever the rule says (tools that only read).
    pub fn read_only<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.read_only.extend(names.into_iter().map(Into::into));
        self
    }

    /// Whether a call of `tool` with `arguments` needs a human. A call of
    /// [`ask_human`](crate::AskHuman) never does: it is a question to a human already.
    pub fn needs_human(&self, tool: &str, arguments: &Value) -> bool {
        if tool == <AskHuman as Tool>::NAME || self.read_only.contains(tool) {
            return false;
        }
        match &self.rule {
            Rule::All => true,
            Rule::Named(names) => names.contains(tool),
            Rule::Matching(predicate) => predicate(tool, arguments),
        }
    }

    fn with(rule: Rule) -> Self {
        Self {
            rule,
            read_only: BTreeSet::new(),
        }
    }
}

impl fmt::Debug for Gated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = match &self.rule {
            Rule::All => "all".to_owned(),
            Rule::Named(names) => format!("named {names:?}"),
            Rule::Matching(_) => "matching a predicate".to_owned(),
        };
        f.debug_struct("Gated")
            .field("rule", &rule)
            .field("read_only", &self.read_only)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_rule_picks_its_calls_and_read_only_tools_always_pass() {
        let args = json!({"amount": 500});
        assert!(Gated::all().needs_human("pay", &args));
        assert!(!Gated::all()
            .read_only(["list_files"])
            .needs_human("list_files", &args));
        let named = Gated::named(["pay", "delete_file"]);
        assert!(named.needs_human("delete_file", &args));
        assert!(!named.needs_human("list_files", &args));
        let large = Gated::matching(|tool, args| {
            tool == "pay" && args["amount"].as_u64().is_some_and(|a| a > 100)
        });
        assert!(large.needs_human("pay", &args));
        assert!(!large.needs_human("pay", &json!({"amount": 5})));
        assert!(!large.read_only(["pay"]).needs_human("pay", &args));
    }
}
