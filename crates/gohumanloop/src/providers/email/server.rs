//! Where a mail server is and how to reach it: host, port, transport security, credentials,
//! and the TLS trust (the system's roots plus, for private servers and tests, an extra CA).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// What went wrong talking to a mail server, or setting one up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// The settings cannot work (a missing username, an unreadable CA file, …).
    #[error("{0}")]
    Config(String),
    /// Sending failed; trying again later may work.
    #[error("Failed to send email: {0}")]
    Smtp(String),
    /// The server refused the mail for good (a 5xx reply: no such mailbox, policy).
    #[error("Failed to send email (refused): {0}")]
    SmtpRefused(String),
    /// Reading the mailbox failed.
    #[error("Failed to check emails: {0}")]
    Imap(String),
}

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (SMTPS 465, IMAPS 993).
    Tls,
    /// A plain connection upgraded with STARTTLS before anything is said (587, 143); refused
    /// if the server does not offer it.
    StartTls,
    /// No encryption at all: only for a server on this machine.
    Plain,
}

impl Security {
    /// The usual security of a port: 465/993 → TLS, 25/587/143 → STARTTLS, else TLS.
    pub fn for_port(port: u16) -> Self {
        match port {
            25 | 587 | 143 | 2525 => Self::StartTls,
            _ => Self::Tls,
        }
    }

    /// `tls` | `starttls` | `plain` (what the CLI and settings files say).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "implicit" => Some(Self::Tls),
            "starttls" | "start-tls" => Some(Self::StartTls),
            "plain" | "none" => Some(Self::Plain),
            _ => None,
        }
    }
}

/// One mail server (SMTP or IMAP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: Security,
    /// The name the server's certificate must carry, when it differs from `host`.
    pub tls_name: Option<String>,
}

impl ServerSettings {
    /// A server with the usual security for its port.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            security: Security::for_port(port),
            tls_name: None,
        }
    }

    /// With this security.
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// The name checked against the certificate.
    pub fn certificate_name(&self) -> &str {
        self.tls_name.as_deref().unwrap_or(&self.host)
    }
}

/// A login.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({}, ***)", self.username)
    }
}

/// The certificates of a PEM file's text (for an extra CA to trust).
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, EmailError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| EmailError::Config(format!("unreadable CA certificate: {e}")))?;
    if certs.is_empty() {
        return Err(EmailError::Config(
            "the CA file holds no certificate".into(),
        ));
    }
    Ok(certs)
}

/// A TLS client configuration trusting the system's roots and `extra_ca` (PEM).
pub fn tls_config(extra_ca: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, EmailError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(pem) = extra_ca {
        for cert in pem_certificates(pem)? {
            roots
                .add(cert)
                .map_err(|e| EmailError::Config(format!("unusable CA certificate: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EmailError::Config(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_names() {
        assert_eq!(Security::for_port(465), Security::Tls);
        assert_eq!(Security::for_port(587), Security::StartTls);
        assert_eq!(Security::for_port(993), Security::Tls);
        assert_eq!(Security::for_port(143), Security::StartTls);
        assert_eq!(Security::parse("STARTTLS"), Some(Security::StartTls));
        assert_eq!(Security::parse("bogus"), None);
        assert!(pem_certificates(b"not a pem").is_err());
        assert!(!format!(
            "{:?}",
            Login {
                username: "u".into(),
                password: "secret".into()
            }
        )
        .contains("secret"));
    }
}
