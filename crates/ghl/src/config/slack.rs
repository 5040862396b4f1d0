//! A `[[slack]]` table of the configuration file, read into a [`SlackConfig`].

use gohumanloop_hub::channels::slack::SlackConfig;
use toml::Value;

use super::chat::Checker;

const KEYS: &[&str] = &[
    "name",
    "bot_token",
    "bot_token_env",
    "bot_token_file",
    "signing_secret",
    "signing_secret_env",
    "signing_secret_file",
    "api_base",
    "language",
    "timeout",
    "retry",
    "route",
];

/// The `n`th `[[slack]]` table.
pub(super) fn slack(n: usize, entry: &Value) -> Result<SlackConfig, Vec<String>> {
    let mut c = Checker::new("slack", n, entry)?;
    c.only(KEYS);
    let name = c.name();
    let token = c.secret("bot_token", false);
    let signing_secret = c.secret("signing_secret", false);
    let api_base = c.base_url("api_base", "https://slack.com/api");
    let language = c.language();
    let (timeout, retry) = c.timing();
    let routes = c.routes(false);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let (Some(token), Some(signing_secret)) = (token, signing_secret) else {
        return Err(vec![format!("{}: no token or signing secret", c.label)]);
    };
    let mut config = SlackConfig::new(name, token, signing_secret);
    config.api_base = api_base;
    config.language = language;
    config.routes = routes;
    if let Some(timeout) = timeout {
        config.timeout = timeout;
    }
    if let Some(retry) = retry {
        config.retry = retry;
    }
    Ok(config)
}
