//! Grants: a standing approval of one exact call, or of calls matching a pattern. This module
//! only says what a scope covers; storing grants and their lifetime is the hub's business.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::matcher::{self, Conditions};

/// What a grant covers. serde: {"kind":"exact","function":..,"call_hash":..} |
/// {"kind":"pattern","function":"glob","arguments":{"/ptr": <matcher as JSON, same forms as TOML>}}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GrantScope {
    /// Exactly one call: this function with arguments of this hash
    /// ([`gohumanloop::model::call_hash`]).
    Exact {
        /// The function's name.
        function: String,
        /// The hex SHA-256 of the call.
        call_hash: String,
    },
    /// Every call of a function matching a glob whose arguments meet all the matchers.
    Pattern {
        /// A glob on the function's name.
        function: String,
        /// JSON pointer → matcher, as in a rule's `when.arguments` (empty: any arguments).
        #[serde(default)]
        arguments: Map<String, Value>,
    },
}

impl GrantScope {
    /// Checks a scope given over the API (bad glob/pointer/matcher → Err(one line)).
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        match self {
            GrantScope::Exact {
                function,
                call_hash,
            } => {
                if function.is_empty() {
                    problems.push("function: must not be empty".to_owned());
                }
                let hex = call_hash.len() == 64
                    && call_hash
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !hex {
                    problems.push("call_hash: must be 64 lowercase hex digits".to_owned());
                }
            }
            GrantScope::Pattern {
                function,
                arguments,
            } => {
                matcher::glob(function, "function", &mut problems);
                Conditions::parse(arguments, "arguments", &mut problems);
            }
        }
        match problems.into_iter().next() {
            Some(line) => Err(line),
            None => Ok(()),
        }
    }

    /// Whether it covers a call of `function` with `arguments` (hash computed by the caller,
    /// `call_hash(function, arguments)`). A scope that does not pass [`GrantScope::check`]
    /// covers nothing.
    pub fn covers(&self, function: &str, arguments: &Value, call_hash: &str) -> bool {
        match self {
            GrantScope::Exact {
                function: f,
                call_hash: h,
            } => f == function && h == call_hash,
            GrantScope::Pattern {
                function: glob,
                arguments: spec,
            } => {
                let mut problems = Vec::new();
                let pattern = matcher::glob(glob, "function", &mut problems);
                let conditions = Conditions::parse(spec, "arguments", &mut problems);
                problems.is_empty()
                    && pattern.is_some_and(|p| p.matches(function))
                    && conditions.hold(Some(arguments))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gohumanloop::model::call_hash;
    use serde_json::json;

    fn scope(value: Value) -> Option<GrantScope> {
        serde_json::from_value(value).ok()
    }

    #[test]
    fn exact_covers_only_its_call() {
        let args = json!({"path": "/tmp/x", "force": true});
        let hash = call_hash("rm", &args);
        let exact = GrantScope::Exact {
            function: "rm".into(),
            call_hash: hash.clone(),
        };
        assert_eq!(exact.check(), Ok(()));
        assert!(exact.covers("rm", &args, &hash));
        let other = json!({"path": "/"});
        assert!(!exact.covers("rm", &other, &call_hash("rm", &other)));
        assert!(!exact.covers("rmdir", &args, &call_hash("rmdir", &args)));
    }

    #[test]
    fn pattern_covers_matching_calls() {
        let pattern = scope(json!({"kind": "pattern", "function": "pay_*",
            "arguments": {"/amount": {"le": 100}, "/currency": ["EUR", "USD"]}}));
        let Some(pattern) = pattern else {
            panic!("pattern scope should parse")
        };
        assert_eq!(pattern.check(), Ok(()));
        let small = json!({"amount": 50, "currency": "EUR"});
        assert!(pattern.covers("pay_invoice", &small, ""));
        assert!(!pattern.covers("refund", &small, ""));
        assert!(!pattern.covers(
            "pay_invoice",
            &json!({"amount": 500, "currency": "EUR"}),
            ""
        ));
        assert!(!pattern.covers("pay_invoice", &json!({"amount": 50}), ""));
    }

    #[test]
    fn serde_forms() {
        let exact = GrantScope::Exact {
            function: "f".into(),
            call_hash: "ab".into(),
        };
        assert_eq!(
            serde_json::to_value(&exact).ok(),
            Some(json!({"kind": "exact", "function": "f", "call_hash": "ab"}))
        );
        let any = scope(json!({"kind": "pattern", "function": "*"}));
        assert_eq!(
            any,
            Some(GrantScope::Pattern {
                function: "*".into(),
                arguments: Map::new()
            })
        );
        assert!(any.is_some_and(|s| s.covers("x", &json!("('/tmp',)"), "")));
        assert_eq!(scope(json!({"kind": "other", "function": "f"})), None);
    }

    #[test]
    fn check_refuses_bad_scopes() {
        let bad = [
            json!({"kind": "pattern", "function": "[", "arguments": {}}),
            json!({"kind": "pattern", "function": "f", "arguments": {"amount": 1}}),
            json!({"kind": "pattern", "function": "f", "arguments": {"/a": {"gte": 1}}}),
            json!({"kind": "exact", "function": "f", "call_hash": "XYZ"}),
            json!({"kind": "exact", "function": "", "call_hash": "0".repeat(64)}),
        ];
        for value in bad {
            let checked = scope(value.clone()).map(|s| s.check());
            assert!(matches!(checked, Some(Err(_))), "{value}: {checked:?}");
            let covers = scope(value.clone())
                .is_some_and(|s| s.covers("f", &json!({"amount": 1, "a": 1}), "XYZ"));
            assert!(
                !covers || value["kind"] == "exact",
                "{value} should cover nothing"
            );
        }
    }
}
