//! A Feishu / Lark channel's settings (`[[feishu]]` in the configuration file).

use std::time::Duration;

use gohumanloop::providers::email::EmailLanguage;

use crate::channels::chat::ChatRoute;
use crate::channels::DEFAULT_RETRY_SCHEDULE;

/// Feishu's API (China); Lark's is `https://open.larksuite.com`.
pub const FEISHU: &str = "https://open.feishu.cn";

/// One Feishu or Lark custom app.
#[derive(Clone)]
pub struct FeishuConfig {
    /// Its name (`[a-z0-9-]`): the channel `feishu:NAME`, the path
    /// `/channels/feishu/NAME/callback`.
    pub name: String,
    /// The app's id (`cli_…`).
    pub app_id: String,
    /// The app's secret.
    pub app_secret: String,
    /// The Encrypt Key of "Events & Callbacks": callbacks are encrypted and signed with it.
    pub encrypt_key: String,
    /// The Verification Token: checked in the URL verification and every callback.
    pub verification_token: String,
    /// The API's base: [`FEISHU`], `https://open.larksuite.com`, or a proxy.
    pub base_url: String,
    /// Which requests go where, and who decides them; a route with `approval` creates
    /// instances of that approval definition instead of sending cards.
    pub routes: Vec<ChatRoute>,
    /// The id of the approval definition's multi-line text control that holds the request
    /// (OA mode).
    pub approval_field: String,
    /// The language of the cards.
    pub language: EmailLanguage,
    /// The delays after each failed attempt in a row; past the end, it gives up.
    pub retry: Vec<Duration>,
    /// How long Feishu has to answer a call.
    pub timeout: Duration,
}

impl std::fmt::Debug for FeishuConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeishuConfig")
            .field("name", &self.name)
            .field("app_id", &self.app_id)
            .field("base_url", &self.base_url)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl FeishuConfig {
    /// The app `name` with its credentials, no route yet, on feishu.cn, English, the default
    /// retry schedule and a 10-second time-out.
    pub fn new(
        name: impl Into<String>,
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
        encrypt_key: impl Into<String>,
        verification_token: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            encrypt_key: encrypt_key.into(),
            verification_token: verification_token.into(),
            base_url: FEISHU.into(),
            routes: Vec::new(),
            approval_field: "content".into(),
            language: EmailLanguage::En,
            retry: DEFAULT_RETRY_SCHEDULE.to_vec(),
            timeout: Duration::from_secs(10),
        }
    }
}
