//! A set of `pointer → matcher` conditions that must all hold (`when.arguments`,
//! `when.metadata`, a grant's `arguments`).

use serde_json::{Map, Value};

use super::pointer::Pointer;
use super::Matcher;

/// Checked conditions, in the order written; all must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    items: Vec<(Pointer, Matcher)>,
}

impl Conditions {
    /// Reads `{ "/pointer" = matcher, … }`; pushes one line per problem, each
    /// `path["/pointer"]: …`, and keeps the conditions that were fine.
    pub(crate) fn parse(
        map: &Map<String, Value>,
        path: &str,
        problems: &mut Vec<String>,
    ) -> Conditions {
        let mut items = Vec::with_capacity(map.len());
        for (key, value) in map {
            let at = format!("{path}[\"{key}\"]");
            let pointer = Pointer::parse(key).map_err(|e| problems.push(format!("{at}: {e}")));
            let matcher = Matcher::parse(value, &at, problems);
            if let (Ok(pointer), Some(matcher)) = (pointer, matcher) {
                items.push((pointer, matcher));
            }
        }
        Conditions { items }
    }

    /// Whether every condition holds on `root` (None: there is nothing to point into, so only
    /// `absent = true` holds).
    pub(crate) fn hold(&self, root: Option<&Value>) -> bool {
        self.items
            .iter()
            .all(|(pointer, matcher)| matcher.matches(pointer.resolve(root)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conditions(spec: Value) -> Result<Conditions, Vec<String>> {
        let mut problems = Vec::new();
        let map = spec.as_object().cloned().unwrap_or_default();
        let parsed = Conditions::parse(&map, "when.arguments", &mut problems);
        if problems.is_empty() {
            Ok(parsed)
        } else {
            Err(problems)
        }
    }

    fn holds(spec: Value, args: Value) -> bool {
        conditions(spec).is_ok_and(|c| c.hold(Some(&args)))
    }

    #[test]
    fn string_is_a_glob_on_strings_only() {
        assert!(holds(
            json!({"/cmd": "rm -rf /*"}),
            json!({"cmd": "rm -rf /home"})
        ));
        assert!(!holds(json!({"/cmd": "rm -rf /*"}), json!({"cmd": "ls"})));
        assert!(
            !holds(json!({"/cmd": "RM*"}), json!({"cmd": "rm"})),
            "case-sensitive"
        );
        assert!(holds(json!({"/c": "a?[bc]"}), json!({"c": "axc"})));
        assert!(
            !holds(json!({"/n": "5"}), json!({"n": 5})),
            "a number is not a string"
        );
        assert!(!holds(json!({"/n": "*"}), json!({})), "missing fails");
    }

    #[test]
    fn numbers_and_booleans_are_equal() {
        assert!(holds(json!({"/n": 5}), json!({"n": 5.0})));
        assert!(!holds(json!({"/n": 5}), json!({"n": "5"})));
        assert!(holds(json!({"/b": true}), json!({"b": true})));
        assert!(!holds(json!({"/b": true}), json!({"b": false})));
        assert!(!holds(json!({"/b": false}), json!({})));
    }

    #[test]
    fn array_is_any_of() {
        let spec = json!({"/cur": ["EUR", "USD", 7]});
        assert!(holds(spec.clone(), json!({"cur": "USD"})));
        assert!(holds(spec.clone(), json!({"cur": 7})));
        assert!(!holds(spec.clone(), json!({"cur": "GBP"})));
        assert!(!holds(json!({"/x": []}), json!({"x": 1})));
        assert!(holds(json!({"/x": [{"absent": true}]}), json!({})));
    }

    #[test]
    fn table_conditions_all_hold() {
        assert!(holds(json!({"/a": {"gt": 1000}}), json!({"a": 1000.5})));
        assert!(!holds(json!({"/a": {"gt": 1000}}), json!({"a": 1000})));
        assert!(holds(
            json!({"/a": {"ge": 1000, "le": 1000}}),
            json!({"a": 1000})
        ));
        assert!(holds(json!({"/a": {"lt": 0}}), json!({"a": -1})));
        assert!(!holds(json!({"/a": {"lt": 0}}), json!({"a": "-1"})));
        assert!(holds(json!({"/s": {"glob": "x*"}}), json!({"s": "xy"})));
        assert!(!holds(json!({"/s": {"glob": "x*"}}), json!({"s": 1})));
        assert!(holds(
            json!({"/o": {"equals": {"k": [1]}}}),
            json!({"o": {"k": [1.0]}})
        ));
        assert!(!holds(
            json!({"/o": {"equals": {"k": [1]}}}),
            json!({"o": {"k": [2]}})
        ));
        assert!(holds(json!({"/z": {"absent": true}}), json!({"a": 1})));
        assert!(!holds(json!({"/a": {"absent": true}}), json!({"a": 1})));
        assert!(holds(json!({"/a": {"absent": false}}), json!({"a": null})));
        assert!(!holds(json!({"/a": {"gt": 1, "lt": 3}}), json!({"a": 3})));
    }

    #[test]
    fn missing_pointer_fails_all_but_absent() {
        for spec in [
            json!("*"),
            json!(1),
            json!(true),
            json!(["*"]),
            json!({"ge": 0}),
            json!({"glob": "*"}),
            json!({"equals": null}),
        ] {
            assert!(!holds(json!({"/gone": spec.clone()}), json!({})), "{spec}");
        }
        assert!(conditions(json!({"/x": {"absent": true}})).is_ok_and(|c| c.hold(None)));
    }

    #[test]
    fn all_conditions_and_empty_holds() {
        let spec = json!({"/a": 1, "/b/0": "x"});
        assert!(holds(spec.clone(), json!({"a": 1, "b": ["x"]})));
        assert!(!holds(spec, json!({"a": 1, "b": ["y"]})));
        assert!(holds(json!({}), json!(null)));
    }

    #[test]
    fn every_bad_matcher_is_a_line() {
        let problems = conditions(json!({
            "amount": 1,
            "/a": {"gte": 1},
            "/b": {"gt": "x", "glob": 3, "absent": "yes"},
            "/c": "[",
            "/d": [1, {}],
            "/e": null,
        }))
        .err()
        .unwrap_or_default();
        assert_eq!(problems.len(), 8, "{problems:#?}");
        assert!(problems[0].starts_with("when.arguments[\"amount\"]: invalid JSON pointer"));
        assert!(problems
            .iter()
            .any(|p| p.contains("[\"/a\"].gte: unknown matcher key")));
        assert!(problems
            .iter()
            .any(|p| p.contains("[\"/c\"]: invalid glob '['")));
        assert!(problems
            .iter()
            .any(|p| p.contains("[\"/d\"][1]: an empty table")));
        assert!(problems
            .iter()
            .any(|p| p.contains("[\"/e\"]: null is not a matcher")));
    }
}
