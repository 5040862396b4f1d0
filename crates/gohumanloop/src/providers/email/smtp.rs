//! Sending mail with lettre over implicit TLS, STARTTLS (required, never silently skipped) or,
//! for a server on this machine, plain SMTP.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::server::{pem_certificates, EmailError, Login, Security, ServerSettings};

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection pool to one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    /// A mailer for `server`, logging in with `login` if given, trusting `extra_ca` (PEM) on
    /// top of the system's roots.
    pub fn new(
        server: &ServerSettings,
        login: Option<&Login>,
        extra_ca: Option<&[u8]>,
    ) -> Result<Self, EmailError> {
        let tls = match server.security {
            Security::Plain => Tls::None,
            security => {
                let mut params = TlsParameters::builder(server.certificate_name().to_owned());
                if let Some(pem) = extra_ca {
                    for cert in pem_certificates(pem)? {
                        let cert = Certificate::from_der(cert.to_vec())
                            .map_err(|e| EmailError::Config(e.to_string()))?;
                        params = params.add_root_certificate(cert);
                    }
                }
                let params = params
                    .build_rustls()
                    .map_err(|e| EmailError::Config(format!("TLS setup failed: {e}")))?;
                if security == Security::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(login) = login {
            builder = builder.credentials(Credentials::new(
                login.username.clone(),
                login.password.clone(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Sends one message; `Ok` once the server accepted it.
    pub async fn send(&self, message: Message) -> Result<(), EmailError> {
        self.transport.send(message).await.map(drop).map_err(|e| {
            if e.is_permanent() {
                EmailError::SmtpRefused(e.to_string())
            } else {
                EmailError::Smtp(e.to_string())
            }
        })
    }
}
