//! `ghl serve --config FILE`: the hub's settings in TOML. Every `ghl serve` flag has a key of the
//! same name (`max_connections` for `--max-connections`; the `--email-*` flags in an `[email]`
//! table without the prefix), checked by the same parsers as the flag; a flag or its
//! environment variable wins over the file. Webhook channels, which flags cannot express, are
//! `[[webhook]]` tables. Every problem is reported at once, one line each.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::ArgMatches;
use gohumanloop_hub::channels::webhook::{WebhookConfig, WebhookSecret};
use toml::{Table, Value};

/// A top-level key: (key, flag, clap id, how its value becomes arguments).
const TOP: &[(&str, &str, Kind)] = &[
    ("addr", "addr", Kind::One),
    ("db", "db", Kind::One),
    ("log_level", "log-level", Kind::One),
    ("sync", "sync", Kind::One),
    ("workers", "workers", Kind::One),
    ("max_connections", "max-connections", Kind::One),
    (
        "max_connections_per_address",
        "max-connections-per-address",
        Kind::One,
    ),
    ("secure_cookies", "secure-cookies", Kind::Switch),
    ("trusted_proxies", "trusted-proxy", Kind::Many),
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

/// The keys of a `[[webhook]]` table.
const WEBHOOK_KEYS: &[&str] = &[
    "name",
    "url",
    "secret",
    "secrets",
    "secret_env",
    "secret_file",
    "platforms",
    "tenant",
    "retry",
    "timeout",
];

#[derive(Clone, Copy)]
enum Kind {
    /// `--flag VALUE`.
    One,
    /// `--flag` when `true`.
    Switch,
    /// `--flag VALUE` per item of an array.
    Many,
}

/// What a configuration file adds to `ghl serve`.
pub struct FileSettings {
    /// Arguments for the settings that no flag or environment variable gave.
    pub arguments: Vec<OsString>,
    /// The webhook channels.
    pub webhooks: Vec<WebhookConfig>,
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
        (Kind::Switch, _) => return problems.push(format!("{key}: must be true or false")),
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
        Kind::Switch => mine.push(format!("--{flag}").into()),
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

/// One `[[webhook]]` table (the `n`th).
fn webhook(n: usize, entry: &Value) -> Result<WebhookConfig, Vec<String>> {
    let Some(table) = entry.as_table() else {
        return Err(vec![format!("webhook #{}: must be a table", n + 1)]);
    };
    let label = match table.get("name").and_then(Value::as_str) {
        Some(name) => format!("webhook '{name}'"),
        None => format!("webhook #{}", n + 1),
    };
    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(format!("{label}: {text}"));
    for key in table.keys() {
        if !WEBHOOK_KEYS.contains(&key.as_str()) {
            problem(format!("{key}: no such setting"));
        }
    }
    let text = |key: &str| table.get(key).and_then(Value::as_str);
    let name = text("name").unwrap_or_default().to_owned();
    let name_ok = (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        problem("name: 1 to 40 of a-z, 0-9 and '-' (it is part of the inbound path)".into());
    }
    let url = text("url").unwrap_or_default().to_owned();
    if let Err(why) = check_url(&url) {
        problem(format!("url: {why}"));
    }
    let secrets = match secrets(table) {
        Ok(secrets) => secrets,
        Err(why) => {
            problem(why);
            Vec::new()
        }
    };
    let list = |key: &str| -> Result<Option<Vec<String>>, String> {
        match table.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| format!("{key}: must be a list of strings")),
            Some(_) => Err(format!("{key}: must be a list of strings")),
        }
    };
    let platforms = list("platforms").unwrap_or_else(|why| {
        problem(why);
        None
    });
    let tenant = match table.get("tenant") {
        None => None,
        Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
        Some(_) => {
            problem("tenant: a tenant's name".into());
            None
        }
    };
    let retry = match list("retry") {
        Ok(None) => None,
        Ok(Some(items)) => match items.iter().map(|d| duration(d)).collect() {
            Ok(delays) => Some(delays),
            Err(why) => {
                problem(format!("retry: {why}"));
                None
            }
        },
        Err(why) => {
            problem(why);
            None
        }
    };
    let timeout = match text("timeout").map(duration) {
        None if table.contains_key("timeout") => {
            problem("timeout: a duration such as \"10s\"".into());
            None
        }
        None => None,
        Some(Ok(d)) if d >= Duration::from_millis(100) => Some(d),
        Some(Ok(_)) => {
            problem("timeout: at least 100ms".into());
            None
        }
        Some(Err(why)) => {
            problem(format!("timeout: {why}"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut secrets = secrets.into_iter();
    let Some(first) = secrets.next() else {
        return Err(vec![format!("{label}: no secret")]);
    };
    let mut config = WebhookConfig::new(name, url, first);
    config.secrets.extend(secrets);
    config.platforms = platforms;
    config.tenant = tenant;
    if let Some(retry) = retry {
        config.retry = retry;
    }
    if let Some(timeout) = timeout {
        config.timeout = timeout;
    }
    Ok(config)
}

/// A webhook's URL: `http` or `https` with a host, and no user or password (it is printed at
/// start-up; the signature authenticates the hub).
fn check_url(text: &str) -> Result<(), &'static str> {
    let url = reqwest::Url::parse(text).map_err(|_| "an http:// or https:// address")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().unwrap_or("").is_empty() {
        return Err("an http:// or https:// address");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "no user or password in it (the URL is printed; the signature authenticates the hub)",
        );
    }
    Ok(())
}

/// The signing secrets, from exactly one of `secret`, `secrets`, `secret_env`, `secret_file`;
/// errors name the key, never the value.
fn secrets(table: &Table) -> Result<Vec<WebhookSecret>, String> {
    let given: Vec<&str> = ["secret", "secrets", "secret_env", "secret_file"]
        .into_iter()
        .filter(|k| table.contains_key(*k))
        .collect();
    let texts: Vec<String> = match given[..] {
        [] => return Err("give secret, secrets, secret_env or secret_file".into()),
        [_, _, ..] => return Err(format!("give one of {}", given.join(", "))),
        ["secret"] => match table.get("secret").and_then(Value::as_str) {
            Some(s) => vec![s.to_owned()],
            None => return Err("secret: must be a string".into()),
        },
        ["secrets"] => match table.get("secrets").and_then(Value::as_array) {
            Some(items) if !items.is_empty() => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or("secrets: must be a list of strings")?,
            _ => return Err("secrets: must be a list of strings".into()),
        },
        ["secret_env"] => {
            let var = table
                .get("secret_env")
                .and_then(Value::as_str)
                .ok_or("secret_env: the name of an environment variable")?;
            let value = std::env::var(var)
                .map_err(|_| format!("secret_env: the environment variable {var} is not set"))?;
            value.split_whitespace().map(str::to_owned).collect()
        }
        _ => {
            let file = table
                .get("secret_file")
                .and_then(Value::as_str)
                .ok_or("secret_file: a path")?;
            let value = std::fs::read_to_string(file)
                .map_err(|e| format!("secret_file: cannot read {file}: {}", e.kind()))?;
            value.split_whitespace().map(str::to_owned).collect()
        }
    };
    let key = given[0];
    if texts.is_empty() {
        return Err(format!("{key}: empty"));
    }
    texts
        .iter()
        .map(|t| {
            t.parse::<WebhookSecret>()
                .map_err(|e| format!("{key}: {e}"))
        })
        .collect()
}

/// `500ms`, `5s`, `2m`, `1h`, `1d`, or a number of seconds.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration such as \"5s\" or \"2m\""))?;
    let unit = match unit {
        "ms" => Duration::from_millis(1),
        "" | "s" => Duration::from_secs(1),
        "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        "d" => Duration::from_secs(86_400),
        _ => return Err(format!("'{text}': the unit is ms, s, m, h or d")),
    };
    unit.checked_mul(u32::try_from(n).map_err(|_| format!("'{text}' is too long"))?)
        .ok_or_else(|| format!("'{text}' is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
        assert!(duration("5 minutes").is_err());
        assert!(duration("m").is_err());
        assert!(duration("-5s").is_err());
    }

    fn syntax(text: &str) -> String {
        let e = text.parse::<Table>().unwrap_err();
        syntax_error(text, &e)
    }

    #[test]
    fn syntax_errors_say_where_and_why_without_the_line() {
        assert_eq!(
            syntax("addr = [\n"),
            "not valid TOML at line 1, column 9: unclosed array, expected `]`"
        );
        assert_eq!(
            syntax("a = 1\n# é\nx = \"é\\q\"\n"),
            "not valid TOML at line 3, column 8: missing escaped value, expected `b`, `e`, `f`, \
             `n`, `r`, `\\`, `\"`, `x`, `u`, `U`"
        );
        assert!(!syntax("secret = \"whsec_c2VjcmV0\n").contains("c2VjcmV0"));
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_password() {
        assert_eq!(check_url("https://tools.example.com/ghl"), Ok(()));
        assert_eq!(check_url("http://127.0.0.1:9/x"), Ok(()));
        for bad in [
            "",
            "ftp://example.com",
            "https://",
            "mailto:a@b.c",
            "example.com/x",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url("https://bot:pw@example.com/").is_err());
        assert!(check_url("https://bot@example.com/").is_err());
    }
}
