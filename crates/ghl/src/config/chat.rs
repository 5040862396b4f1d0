//! The chat channels' tables of the configuration file: `[[approver]]` (people and their
//! platform accounts), `[[slack]]`, `[[feishu]]` and `[[wecom]]`, each with `[[….route]]`
//! tables. Every problem one line; a secret never in one.

use std::collections::BTreeMap;

use gohumanloop::providers::email::EmailLanguage;
use gohumanloop_hub::channels::chat::{Approver, ChatRoute};
use toml::{Table, Value};

use super::webhook::{check_url, duration};

/// The platforms an approver may have accounts on.
const PLATFORMS: [&str; 3] = ["slack", "feishu", "wecom"];

/// Reads one table's problems into `problems`, prefixed with its label.
pub(super) struct Checker<'a> {
    pub table: &'a Table,
    pub label: String,
    pub problems: Vec<String>,
}

impl<'a> Checker<'a> {
    /// The `n`th table of `kind` (labelled by its `name` when it has one).
    pub fn new(kind: &str, n: usize, entry: &'a Value) -> Result<Self, Vec<String>> {
        let Some(table) = entry.as_table() else {
            return Err(vec![format!("{kind} #{}: must be a table", n + 1)]);
        };
        let label = match table.get("name").and_then(Value::as_str) {
            Some(name) => format!("{kind} '{name}'"),
            None => format!("{kind} #{}", n + 1),
        };
        Ok(Self {
            table,
            label,
            problems: Vec::new(),
        })
    }

    pub fn problem(&mut self, text: impl std::fmt::Display) {
        self.problems.push(format!("{}: {text}", self.label));
    }

    /// Reports every key not in `keys`.
    pub fn only(&mut self, keys: &[&str]) {
        let unknown: Vec<String> = self
            .table
            .keys()
            .filter(|k| !keys.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            self.problem(format!("{key}: no such setting"));
        }
    }

    /// A text setting (`None` when absent; a problem when not a text).
    pub fn text(&mut self, key: &str) -> Option<String> {
        match self.table.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.problem(format!("{key}: must be a string"));
                None
            }
        }
    }

    /// A text setting that must be there.
    pub fn required(&mut self, key: &str) -> String {
        match self.text(key) {
            Some(text) if !text.trim().is_empty() => text,
            Some(_) => {
                self.problem(format!("{key}: empty"));
                String::new()
            }
            None if self.table.contains_key(key) => String::new(),
            None => {
                self.problem(format!("{key}: missing"));
                String::new()
            }
        }
    }

    /// The channel's name: 1 to 40 of `a-z`, `0-9`, `-` (it is part of its inbound path).
    pub fn name(&mut self) -> String {
        let name = self.required("name");
        let ok = (1..=40).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name.is_empty() && !ok {
            self.problem("name: 1 to 40 of a-z, 0-9 and '-' (it is part of the inbound path)");
        }
        name
    }

    /// A secret from exactly one of `KEY`, `KEY_env`, `KEY_file`; `optional` allows none.
    pub fn secret(&mut self, key: &str, optional: bool) -> Option<String> {
        let env_key = format!("{key}_env");
        let file_key = format!("{key}_file");
        let given: Vec<&str> = [key, env_key.as_str(), file_key.as_str()]
            .into_iter()
            .filter(|k| self.table.contains_key(*k))
            .collect();
        let value = match given[..] {
            [] if optional => return None,
            [] => {
                self.problem(format!("give {key}, {env_key} or {file_key}"));
                return None;
            }
            [_, _, ..] => {
                self.problem(format!("give one of {}", given.join(", ")));
                return None;
            }
            [one] => {
                let Some(text) = self.table.get(one).and_then(Value::as_str) else {
                    self.problem(format!("{one}: must be a string"));
                    return None;
                };
                if one == key {
                    Ok(text.to_owned())
                } else if one == env_key {
                    std::env::var(text)
                        .map_err(|_| format!("{one}: the environment variable {text} is not set"))
                } else {
                    std::fs::read_to_string(text)
                        .map_err(|e| format!("{one}: cannot read {text}: {}", e.kind()))
                }
            }
        };
        match value.map(|v| v.trim().to_owned()) {
            Ok(v) if !v.is_empty() => Some(v),
            Ok(_) => {
                self.problem(format!("{}: empty", given[0]));
                None
            }
            Err(why) => {
                self.problem(why);
                None
            }
        }
    }

    /// An API base URL (`default` when absent).
    pub fn base_url(&mut self, key: &str, default: &str) -> String {
        match self.text(key) {
            None => default.to_owned(),
            Some(url) => {
                if let Err(why) = check_url(&url) {
                    self.problem(format!("{key}: {why}"));
                }
                url.trim_end_matches('/').to_owned()
            }
        }
    }

    /// `language`: `en` (default) or `zh`.
    pub fn language(&mut self) -> EmailLanguage {
        match self.text("language").as_deref() {
            None | Some("en") => EmailLanguage::En,
            Some("zh") => EmailLanguage::Zh,
            Some(_) => {
                self.problem("language: en or zh");
                EmailLanguage::En
            }
        }
    }

    /// `timeout` (at least 100 ms) and `retry` (a list of durations), when given.
    pub fn timing(
        &mut self,
    ) -> (
        Option<std::time::Duration>,
        Option<Vec<std::time::Duration>>,
    ) {
        let timeout = match self.text("timeout").map(|t| duration(&t)) {
            None => None,
            Some(Ok(d)) if d >= std::time::Duration::from_millis(100) => Some(d),
            Some(Ok(_)) => {
                self.problem("timeout: at least 100ms");
                None
            }
            Some(Err(why)) => {
                self.problem(format!("timeout: {why}"));
                None
            }
        };
        let retry = match self.table.get("retry") {
            None => None,
            Some(Value::Array(items)) => {
                let delays: Result<Vec<_>, String> = items
                    .iter()
                    .map(|v| v.as_str().ok_or("a list of durations".to_owned()))
                    .map(|t| t.and_then(duration))
                    .collect();
                match delays {
                    Ok(delays) => Some(delays),
                    Err(why) => {
                        self.problem(format!("retry: {why}"));
                        None
                    }
                }
            }
            Some(_) => {
                self.problem("retry: a list of durations");
                None
            }
        };
        (timeout, retry)
    }

    /// The `[[KIND.route]]` tables (at least one); `approval` allows the OA mode's key.
    pub fn routes(&mut self, approval: bool) -> Vec<ChatRoute> {
        let Some(value) = self.table.get("route") else {
            self.problem("no [[route]]: say where its requests go");
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem("route: must be an array of tables");
            return Vec::new();
        };
        let mut routes = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let label = format!("route #{}", n + 1);
            let Some(table) = item.as_table() else {
                self.problem(format!("{label}: must be a table"));
                continue;
            };
            match route(table, approval) {
                Ok(route) => routes.push(route),
                Err(found) => {
                    for why in found {
                        self.problem(format!("{label}: {why}"));
                    }
                }
            }
        }
        routes
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn route(table: &Table, approval: bool) -> Result<ChatRoute, Vec<String>> {
    let mut keys = vec!["to", "platforms", "tenant", "metadata", "approvers"];
    if approval {
        keys.push("approval");
    }
    let mut problems: Vec<String> = table
        .keys()
        .filter(|k| !keys.contains(&k.as_str()))
        .map(|k| format!("{k}: no such setting"))
        .collect();
    let mut route = ChatRoute::default();
    match table.get("to").and_then(strings) {
        Some(to) if !to.is_empty() && to.iter().all(|t| !t.trim().is_empty()) => route.to = to,
        _ => problems.push("to: whom its requests go to (a list of ids)".into()),
    }
    if let Some(value) = table.get("platforms") {
        match strings(value) {
            Some(platforms) => route.platforms = Some(platforms),
            None => problems.push("platforms: a list of strings".into()),
        }
    }
    if let Some(value) = table.get("tenant") {
        match value.as_str() {
            Some(t) if !t.trim().is_empty() => route.tenant = Some(t.to_owned()),
            _ => problems.push("tenant: a tenant's name".into()),
        }
    }
    if let Some(value) = table.get("metadata") {
        match value.as_table() {
            Some(fields) => {
                for (key, value) in fields {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        Value::Integer(n) => n.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Boolean(b) => b.to_string(),
                        _ => {
                            problems.push(format!("metadata.{key}: a string, number or boolean"));
                            continue;
                        }
                    };
                    route.metadata.insert(key.clone(), text);
                }
            }
            None => {
                problems.push("metadata: a table of values the request's metadata must have".into())
            }
        }
    }
    if let Some(value) = table.get("approvers") {
        match strings(value) {
            Some(names) => route.approvers = Some(names),
            None => problems.push("approvers: a list of approvers' names".into()),
        }
    }
    if let Some(value) = table.get("approval") {
        match value.as_str() {
            Some(code) if !code.trim().is_empty() => route.approval = Some(code.to_owned()),
            _ => problems.push("approval: the approval definition's code".into()),
        }
    }
    if problems.is_empty() {
        Ok(route)
    } else {
        Err(problems)
    }
}

/// The `[[approver]]` tables.
pub(super) fn approvers(value: &Value) -> Result<Vec<Approver>, Vec<String>> {
    let Some(items) = value.as_array() else {
        return Err(vec![
            "approver: must be an array of tables ([[approver]])".into()
        ]);
    };
    let mut approvers = Vec::new();
    let mut problems = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let mut c = match Checker::new("approver", n, item) {
            Ok(c) => c,
            Err(found) => {
                problems.extend(found);
                continue;
            }
        };
        let mut keys = vec!["name", "display_name"];
        keys.extend(PLATFORMS);
        c.only(&keys);
        let name = c.required("name");
        let display_name = c.text("display_name");
        let mut accounts = BTreeMap::new();
        for platform in PLATFORMS {
            if let Some(value) = c.table.get(platform) {
                match strings(value) {
                    Some(ids) if !ids.is_empty() => {
                        accounts.insert(platform.to_owned(), ids);
                    }
                    _ => c.problem(format!("{platform}: a user id or a list of them")),
                }
            }
        }
        if approvers.iter().any(|a: &Approver| a.name == name) {
            c.problem("two approvers have this name");
        }
        problems.append(&mut c.problems);
        approvers.push(Approver {
            name,
            display_name,
            accounts,
        });
    }
    if problems.is_empty() {
        Ok(approvers)
    } else {
        Err(problems)
    }
}
