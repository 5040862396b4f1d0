//! A `[[webhook]]` table of the configuration file, read into a [`WebhookConfig`]: every
//! problem one line, a secret never in one.

use std::time::Duration;

use gohumanloop_hub::channels::webhook::{WebhookConfig, WebhookSecret};
use toml::{Table, Value};

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

/// One `[[webhook]]` table (the `n`th).
pub(super) fn webhook(n: usize, entry: &Value) -> Result<WebhookConfig, Vec<String>> {
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
pub(super) fn check_url(text: &str) -> Result<(), &'static str> {
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
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
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
