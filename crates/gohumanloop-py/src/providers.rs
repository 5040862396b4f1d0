//! `Provider`: a way of asking (terminal, the hub or any server of the original API, e-mail),
//! made by the static constructors and handed to a `Manager` or to `Interrupts.local`.

use std::sync::Arc;
use std::time::Duration;

use gohumanloop::providers::api::{ApiOptions, ApiProvider};
use gohumanloop::providers::email::{EmailLanguage, EmailOptions, EmailProvider};
use gohumanloop::providers::hub::{HubProvider, HUB_PLATFORM, HUB_PROVIDER};
use gohumanloop::TerminalProvider;
use pyo3::prelude::*;

use crate::errors::failed;
use crate::runtime::entered;

/// A provider of the library.
#[pyclass(module = "gohumanloop_rs._native", frozen)]
pub(crate) struct Provider {
    pub(crate) inner: Arc<dyn gohumanloop::Provider>,
}

#[pymethods]
impl Provider {
    /// Asks on this process's terminal (stdin / stdout).
    #[staticmethod]
    #[pyo3(signature = (name = "terminal"))]
    fn terminal(name: &str) -> Self {
        Self {
            inner: Arc::new(TerminalProvider::new(name)),
        }
    }

    /// A server of the original HTTP API (`ghl serve`, or any compatible one), at
    /// `api_base_url` (`http(s)://HOST[:PORT]/api`).
    #[staticmethod]
    #[pyo3(signature = (name, api_base_url, api_key = None, default_platform = None, request_timeout = 30.0))]
    fn api(
        name: &str,
        api_base_url: &str,
        api_key: Option<String>,
        default_platform: Option<String>,
        request_timeout: f64,
    ) -> PyResult<Self> {
        let mut options = ApiOptions::new(api_base_url);
        if let Some(key) = api_key {
            options = options.api_key(key);
        }
        if let Some(platform) = default_platform {
            options = options.default_platform(platform);
        }
        let timeout = Duration::try_from_secs_f64(request_timeout)
            .map_err(|e| failed(format!("request_timeout: {e}")))?;
        let provider = entered(|| ApiProvider::connect(name, options.request_timeout(timeout)))?
            .map_err(failed)?;
        Ok(Self {
            inner: Arc::new(provider),
        })
    }

    /// The hub: `api_base_url` and `api_key` default to `GOHUMANLOOP_API_BASE_URL` and
    /// `GOHUMANLOOP_API_KEY`, as the original's `GoHumanLoopProvider`.
    #[staticmethod]
    #[pyo3(signature = (name = HUB_PROVIDER, api_base_url = None, api_key = None))]
    fn hub(name: &str, api_base_url: Option<String>, api_key: Option<String>) -> PyResult<Self> {
        let options = match (api_base_url, api_key) {
            (Some(url), Some(key)) => ApiOptions::new(url)
                .api_key(key)
                .default_platform(HUB_PLATFORM),
            (url, key) => {
                let mut options = HubProvider::options_from_env().map_err(failed)?;
                if let Some(url) = url {
                    options.base_url = url;
                }
                if let Some(key) = key {
                    options.api_key = Some(key);
                }
                options
            }
        };
        let provider = entered(|| ApiProvider::connect(name, options))?.map_err(failed)?;
        Ok(Self {
            inner: Arc::new(provider),
        })
    }

    /// Asks by e-mail (SMTP) and reads the replies (IMAP). `username` and `password` default
    /// to `GOHUMANLOOP_EMAIL_USERNAME` / `GOHUMANLOOP_EMAIL_PASSWORD`; `language` is `zh`
    /// (the original's default) or `en`.
    #[staticmethod]
    #[pyo3(signature = (name, smtp_server, smtp_port, imap_server, imap_port, username = None, password = None, sender = None, language = "zh", check_interval = 60.0, ca_pem = None))]
    #[allow(clippy::too_many_arguments)]
    fn email(
        name: &str,
        smtp_server: &str,
        smtp_port: u16,
        imap_server: &str,
        imap_port: u16,
        username: Option<String>,
        password: Option<String>,
        sender: Option<String>,
        language: &str,
        check_interval: f64,
        ca_pem: Option<String>,
    ) -> PyResult<Self> {
        let mut options = EmailOptions::new(smtp_server, smtp_port, imap_server, imap_port);
        options.username = username;
        options.password = password;
        options.sender = sender;
        options.language = match language {
            "zh" => EmailLanguage::Zh,
            "en" => EmailLanguage::En,
            other => {
                return Err(failed(format!(
                    "language must be 'zh' or 'en', not '{other}'"
                )))
            }
        };
        options.check_interval = Duration::try_from_secs_f64(check_interval)
            .map_err(|e| failed(format!("check_interval: {e}")))?;
        options.extra_ca_pem = ca_pem.map(String::into_bytes);
        let provider = entered(|| EmailProvider::new(name, options))?.map_err(failed)?;
        Ok(Self {
            inner: Arc::new(provider),
        })
    }

    /// The provider's name (its id in a manager).
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    fn __repr__(&self) -> String {
        format!("Provider({:?})", self.inner.name())
    }
}
