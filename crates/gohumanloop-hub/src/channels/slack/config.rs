//! A Slack channel's settings (`[[slack]]` in the configuration file).

use std::time::Duration;

use gohumanloop::providers::email::EmailLanguage;

use crate::channels::chat::ChatRoute;
use crate::channels::DEFAULT_RETRY_SCHEDULE;

/// One Slack app.
#[derive(Clone)]
pub struct SlackConfig {
    /// Its name (`[a-z0-9-]`, unique among Slack channels): the channel `slack:NAME` and the
    /// path `/channels/slack/NAME/interactions`.
    pub name: String,
    /// The bot token (`xoxb-…`): `chat:write`, `im:write`.
    pub bot_token: String,
    /// The app's signing secret.
    pub signing_secret: String,
    /// The Web API's base (`https://slack.com/api`).
    pub api_base: String,
    /// Which requests go where, and who decides them.
    pub routes: Vec<ChatRoute>,
    /// The language of the messages.
    pub language: EmailLanguage,
    /// The delays after each failed attempt in a row; past the end, it gives up.
    pub retry: Vec<Duration>,
    /// How long Slack has to answer a call.
    pub timeout: Duration,
}

impl std::fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackConfig")
            .field("name", &self.name)
            .field("api_base", &self.api_base)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl SlackConfig {
    /// The Slack app `name` with its bot token and signing secret, no route yet, English, the
    /// default retry schedule and a 10-second time-out.
    pub fn new(
        name: impl Into<String>,
        bot_token: impl Into<String>,
        signing_secret: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            bot_token: bot_token.into(),
            signing_secret: signing_secret.into(),
            api_base: "https://slack.com/api".into(),
            routes: Vec::new(),
            language: EmailLanguage::En,
            retry: DEFAULT_RETRY_SCHEDULE.to_vec(),
            timeout: Duration::from_secs(10),
        }
    }
}
