//! A `[[feishu]]` table of the configuration file, read into a [`FeishuConfig`].

use gohumanloop_hub::channels::feishu::{FeishuConfig, FEISHU};
use toml::Value;

use super::chat::Checker;

const KEYS: &[&str] = &[
    "name",
    "app_id",
    "app_secret",
    "app_secret_env",
    "app_secret_file",
    "encrypt_key",
    "encrypt_key_env",
    "encrypt_key_file",
    "verification_token",
    "verification_token_env",
    "verification_token_file",
    "base_url",
    "approval_field",
    "language",
    "timeout",
    "retry",
    "route",
];

/// The `n`th `[[feishu]]` table.
pub(super) fn feishu(n: usize, entry: &Value) -> Result<FeishuConfig, Vec<String>> {
    let mut c = Checker::new("feishu", n, entry)?;
    c.only(KEYS);
    let name = c.name();
    let app_id = c.required("app_id");
    let app_secret = c.secret("app_secret", false);
    let encrypt_key = c.secret("encrypt_key", false);
    let verification_token = c.secret("verification_token", false);
    let base_url = c.base_url("base_url", FEISHU);
    let language = c.language();
    let (timeout, retry) = c.timing();
    let approval_field = c.text("approval_field");
    let routes = c.routes(true);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let (Some(app_secret), Some(encrypt_key), Some(verification_token)) =
        (app_secret, encrypt_key, verification_token)
    else {
        return Err(vec![format!("{}: a secret is missing", c.label)]);
    };
    let mut config = FeishuConfig::new(name, app_id, app_secret, encrypt_key, verification_token);
    config.base_url = base_url;
    config.language = language;
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
