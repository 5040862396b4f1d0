//! A `[[wecom]]` table of the configuration file, read into a [`WecomConfig`].

use gohumanloop_hub::channels::wecom::{default_reasons, WecomConfig, WECOM};
use toml::Value;

use super::chat::Checker;

const KEYS: &[&str] = &[
    "name",
    "corp_id",
    "agent_id",
    "secret",
    "secret_env",
    "secret_file",
    "token",
    "token_env",
    "token_file",
    "encoding_aes_key",
    "encoding_aes_key_env",
    "encoding_aes_key_file",
    "base_url",
    "approval_field",
    "reasons",
    "language",
    "timeout",
    "retry",
    "route",
];

/// The `n`th `[[wecom]]` table.
pub(super) fn wecom(n: usize, entry: &Value) -> Result<WecomConfig, Vec<String>> {
    let mut c = Checker::new("wecom", n, entry)?;
    c.only(KEYS);
    let name = c.name();
    let corp_id = c.required("corp_id");
    let agent_id = match c.table.get("agent_id") {
        Some(Value::Integer(id)) => *id,
        Some(Value::String(id)) if id.parse::<i64>().is_ok() => id.parse().unwrap_or_default(),
        _ => {
            c.problem("agent_id: the app's AgentId (a number)");
            0
        }
    };
    let secret = c.secret("secret", false);
    let token = c.secret("token", false);
    let aes_key = c.secret("encoding_aes_key", false);
    if aes_key.as_ref().is_some_and(|k| k.len() != 43) {
        c.problem("encoding_aes_key: 43 characters, as the console shows it");
    }
    let base_url = c.base_url("base_url", WECOM);
    let language = c.language();
    let reasons = match c.table.get("reasons") {
        None => default_reasons(language),
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 10 => {
            match items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
            {
                Some(reasons) => reasons,
                None => {
                    c.problem("reasons: a list of 1 to 10 strings");
                    Vec::new()
                }
            }
        }
        Some(_) => {
            c.problem("reasons: a list of 1 to 10 strings");
            Vec::new()
        }
    };
    let (timeout, retry) = c.timing();
    let approval_field = c.text("approval_field");
    let routes = c.routes(true);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let (Some(secret), Some(token), Some(aes_key)) = (secret, token, aes_key) else {
        return Err(vec![format!("{}: a secret is missing", c.label)]);
    };
    let mut config = WecomConfig::new(name, corp_id, agent_id, secret, token, aes_key);
    config.base_url = base_url;
    config.language = language;
    config.reasons = reasons;
    config.routes = routes;
    if let Some(field) = approval_field {
        config.approval_field = field;
    }
    if let Some(timeout) = timeout {
        config.timeout = timeout;
    }
    if let Some(retry) = retry {
        config.retry = retry;
    }
    Ok(config)
}
