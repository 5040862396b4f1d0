//! `ghl serve --config FILE`: the hub's settings in TOML. Every `ghl serve` flag has a key of the
//! same name (`max_connections` for `--max-connections`; the `--email-*` flags in an `[email]`
//! table without the prefix; `metrics = false` for `--no-metrics`), checked by the same parsers
//! as the flag; a flag or its environment variable wins over the file. Webhook channels, which
//! flags cannot express, are `[[webhook]]` tables. Every problem is reported at once, one line
//! each.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;

use clap::parser::ValueSource;
use clap::ArgMatches;
use gohumanloop_hub::channels::webhook::WebhookConfig;
use toml::{Table, Value};

mod chat;
mod feishu;
pub mod mcp;
mod slack;
mod webhook;
mod wecom;

use gohumanloop_hub::channels::chat::Approver;
use gohumanloop_hub::channels::feishu::FeishuConfig;
use gohumanloop_hub::channels::slack::SlackConfig;
use gohumanloop_hub::channels::wecom::WecomConfig;
pub(crate) use webhook::duration;
use webhook::webhook;

/// A top-level key: (key, flag, clap id, how its value becomes arguments).
const TOP: &[(&str, &str, Kind)] = &[
    ("addr", "addr", Kind::One),
    ("db", "db", Kind::One),
    ("log_level", "log-level", Kind::One),
    ("sync", "sync", Kind::One),
    ("db_pool_size", "db-pool-size", Kind::One),
    ("db_statement_timeout", "db-statement-timeout", Kind::One),
    ("workers", "workers", Kind::One),
    ("max_connections", "max-connections", Kind::One),
    (
        "max_connections_per_address",
        "max-connections-per-address",
        Kind::One,
    ),
    ("secure_cookies", "secure-cookies", Kind::Switch),
    ("trusted_proxies", "trusted-proxy", Kind::Many),
    ("metrics", "no-metrics", Kind::Off),
    ("otlp_endpoint", "otlp-endpoint", Kind::One),
];

/// A key of `[email]`: (key, flag, how).
const EMAIL: &[(&str, &str, Kind)] = &[
    ("smtp", "email-smtp", Kind::One),
    ("smtp_security", "email-smtp-security", Kind::One),
    ("imap", "email-imap", Kind::One),
    ("imap_security", "email-imap-security", Kind::One),
    ("username", "email-username", Kind::One),
    ("from", "email-from", Kind::One),
    ("public_url", "public-url", Kind::One),
    ("routes", "email-route", Kind::Many),
    ("language", "email-language", Kind::One),
    ("ca", "email-ca", Kind::One),
    ("link_ttl", "email-link-ttl", Kind::One),
    ("check_interval", "email-check-interval", Kind::One),
];

#[derive(Clone, Copy)]
enum Kind {
    /// `--flag VALUE`.
    One,
    /// `--flag` when `true`.
    Switch,
    /// `--flag` when `false` (`metrics = false` is `--no-metrics`).
    Off,
    /// `--flag VALUE` per item of an array.
    Many,
}

/// What a configuration file adds to `ghl serve`.
pub struct FileSettings {
    /// Arguments for the settings that no flag or environment variable gave.
    pub arguments: Vec<OsString>,
    /// The webhook channels.
    pub webhooks: Vec<WebhookConfig>,
    /// The chat channels and the approvers.
    pub chat: ChatSettings,
    /// `[policy]`: the rules new requests are planned by.
    pub policy: gohumanloop_hub::policy::Policy,
}

/// The chat channels of the configuration file, and the people who decide on them.
#[derive(Debug, Clone, Default)]
pub struct ChatSettings {
    /// `[[approver]]`: people and their accounts on the platforms.
    pub approvers: Vec<Approver>,
    /// `[[slack]]`: Slack apps.
    pub slack: Vec<SlackConfig>,
    /// `[[feishu]]`: Feishu / Lark apps.
    pub feishu: Vec<FeishuConfig>,
    /// `[[wecom]]`: WeCom apps.
    pub wecom: Vec<WecomConfig>,
}

/// Reads an array of tables with `read`, keeping what it gives and every problem.
fn tables<T>(
    kind: &str,
    value: &Value,
    read: impl Fn(usize, &Value) -> Result<T, Vec<String>>,
    problems: &mut Vec<String>,
) -> Vec<T> {
    let Some(items) = value.as_array() else {
        problems.push(format!("{kind}: must be an array of tables ([[{kind}]])"));
        return Vec::new();
    };
    let mut read_ok = Vec::new();
    let mut names = HashSet::new();
    for (n, item) in items.iter().enumerate() {
        if let Some(name) = item.get("name").and_then(Value::as_str) {
            if !names.insert(name) {
                problems.push(format!("{kind} '{name}': two {kind} tables have this name"));
            }
        }
        match read(n, item) {
            Ok(one) => read_ok.push(one),
            Err(found) => problems.extend(found),
        }
    }
    read_ok
}

/// Reads `path`; `serve` is what the command line gave (flags and environment win). Every
/// problem found comes back, one line each.
pub fn load(path: &Path, serve: &ArgMatches) -> Result<FileSettings, Vec<String>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("{name}: cannot read the configuration file: {e}")])?;
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| vec![format!("{name}: {}", syntax_error(&text, &e))])?;
    let mut problems = Vec::new();
    let mut arguments = Vec::new();
    let mut webhooks = Vec::new();
    let mut names = Vec::new();
    let mut chat = ChatSettings::default();
    let mut policy = gohumanloop_hub::policy::Policy::default();
    for (key, value) in &table {
        match key.as_str() {
            "email" => match value.as_table() {
                Some(email) => {
                    for (key, value) in email {
                        match EMAIL.iter().find(|(k, _, _)| k == key) {
                            Some((_, flag, kind)) => flags(
                                &format!("email.{key}"),
                                flag,
                                *kind,
                                value,
                                serve,
                                &mut arguments,
                                &mut problems,
                            ),
                            None => problems.push(format!("email.{key}: no such setting")),
                        }
                    }
                }
                None => problems.push("email: must be a table ([email])".into()),
            },
            "mcp" => match value.as_table() {
                Some(table) => {
                    for (key, value) in table {
                        match mcp::SERVE.iter().find(|(k, _, _)| k == key) {
                            Some((_, flag, many)) => {
                                let kind = if *many { Kind::Many } else { Kind::One };
                                let name = format!("mcp.{key}");
                                flags(
                                    &name,
                                    flag,
                                    kind,
                                    value,
                                    serve,
                                    &mut arguments,
                                    &mut problems,
                                )
                            }
                            // `ghl mcp gateway --config` reads and checks its own table.
                            None if key == "gateway" => {}
                            None => problems.push(format!("mcp.{key}: no such setting")),
                        }
                    }
                }
                None => problems.push("mcp: must be a table ([mcp])".into()),
            },
            "webhook" => match value.as_array() {
                Some(tables) => {
                    for (n, entry) in tables.iter().enumerate() {
                        if let Some(name) = entry.get("name").and_then(Value::as_str) {
                            names.push(name);
                        }
                        match webhook(n, entry) {
                            Ok(config) => webhooks.push(config),
                            Err(found) => problems.extend(found),
                        }
                    }
                }
                None => problems.push("webhook: must be an array of tables ([[webhook]])".into()),
            },
            "approver" => match chat::approvers(value) {
                Ok(approvers) => chat.approvers = approvers,
                Err(found) => problems.extend(found),
            },
            "policy" => match gohumanloop_hub::policy::Policy::from_toml(value) {
                Ok(read) => policy = read,
                Err(found) => problems.extend(found),
            },
            "slack" => chat.slack = tables("slack", value, slack::slack, &mut problems),
            "feishu" => chat.feishu = tables("feishu", value, feishu::feishu, &mut problems),
            "wecom" => chat.wecom = tables("wecom", value, wecom::wecom, &mut problems),
            _ => match TOP.iter().find(|(k, _, _)| k == key) {
                Some((_, flag, kind)) => flags(
                    key,
                    flag,
                    *kind,
                    value,
                    serve,
                    &mut arguments,
                    &mut problems,
                ),
                None => problems.push(format!("{key}: no such setting")),
            },
        }
    }
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            problems.push(format!("webhook '{name}': two webhooks have this name"));
        }
    }
    if problems.is_empty() {
        Ok(FileSettings {
            arguments,
            webhooks,
            chat,
            policy,
        })
    } else {
        Err(problems
            .into_iter()
            .map(|p| format!("{name}: {p}"))
            .collect())
    }
}

/// A TOML syntax error on one line, `not valid TOML at line L, column C: why`. The offending
/// line, which toml's own message quotes, is left out: it may hold a secret.
fn syntax_error(text: &str, e: &toml::de::Error) -> String {
    let why = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(at) = e.span().map(|span| span.start.min(text.len())) else {
        return format!("not valid TOML: {why}");
    };
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("not valid TOML at line {line}, column {column}: {why}")
}

/// The first line of an error.
fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(1)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The arguments for one key, unless the command line set it; each value checked by the
/// flag's own parser.
fn flags(
    key: &str,
    flag: &str,
    kind: Kind,
    value: &Value,
    serve: &ArgMatches,
    arguments: &mut Vec<OsString>,
    problems: &mut Vec<String>,
) {
    let id = flag_id(flag);
    let from_command_line = matches!(
        serve.value_source(&id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    let values: Vec<String> = match (kind, value) {
        (Kind::Switch, Value::Boolean(true)) => Vec::new(),
        (Kind::Switch, Value::Boolean(false)) => return,
        (Kind::Off, Value::Boolean(false)) => Vec::new(),
        (Kind::Off, Value::Boolean(true)) => return,
        (Kind::Switch | Kind::Off, _) => {
            return problems.push(format!("{key}: must be true or false"))
        }
        (Kind::Many, Value::Array(items)) => match items.iter().map(scalar).collect() {
            Some(items) => items,
            None => return problems.push(format!("{key}: must be a list of strings")),
        },
        (Kind::Many, _) => return problems.push(format!("{key}: must be a list")),
        (Kind::One, value) => match scalar(value) {
            Some(one) => vec![one],
            None => return problems.push(format!("{key}: must be a string or a number")),
        },
    };
    let mut mine: Vec<OsString> = Vec::new();
    match kind {
        Kind::Switch | Kind::Off => mine.push(format!("--{flag}").into()),
        _ => {
            for v in values {
                mine.push(format!("--{flag}").into());
                mine.push(v.into());
            }
        }
    }
    let mut alone: Vec<OsString> = vec!["ghl".into(), "serve".into()];
    alone.extend(mine.iter().cloned());
    if let Err(e) = crate::Cli::try_parse_args(alone) {
        let why = one_line(&e);
        let why = why.trim_start_matches("error: ");
        return problems.push(format!("{key}: {why}"));
    }
    if !from_command_line {
        arguments.extend(mine);
    }
}

/// clap's id of a flag (`max-connections` → `max_connections`; `--trusted-proxy` is the field
/// `trusted_proxies`, `--email-route` the field `email_routes`).
fn flag_id(flag: &str) -> String {
    match flag {
        "trusted-proxy" => "trusted_proxies".into(),
        "email-route" => "email_routes".into(),
        other => other.replace('-', "_"),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Integer(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
