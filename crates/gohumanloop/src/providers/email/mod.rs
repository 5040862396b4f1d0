//! E-mail: the original's `EmailProvider` (protocol reference §2.2), and the pieces the hub's
//! email channel shares with it.
//!
//! - [`reply`] (feature `email-reply`): the pure reply parser.
//! - [`EmailLanguage`], [`token`]: the mails' words and the token that threads a reply back.
//! - With feature `email`: [`EmailProvider`] itself, [`compose`] (text + HTML mails with
//!   threading headers), [`smtp`] (sending over implicit TLS, STARTTLS or plain) and [`imap`]
//!   (watching a mailbox with IDLE, or polling).

mod language;
pub mod reply;
pub mod token;

pub use language::EmailLanguage;

#[cfg(feature = "email")]
pub mod compose;
#[cfg(feature = "email")]
pub mod imap;
#[cfg(feature = "email")]
mod provider;
#[cfg(feature = "email")]
pub mod server;
#[cfg(feature = "email")]
pub mod smtp;

#[cfg(feature = "email")]
pub use provider::{
    recipients, Email, EmailOptions, EmailProvider, NO_RECIPIENT, PASSWORD_ENV, USERNAME_ENV,
};
#[cfg(feature = "email")]
pub use server::{EmailError, Login, Security, ServerSettings};
