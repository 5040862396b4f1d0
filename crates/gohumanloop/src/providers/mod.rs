//! The providers that ship with the library, each behind a cargo feature where it pulls in more.

#[cfg(feature = "api")]
pub mod api;
#[cfg(feature = "email-reply")]
pub mod email;
#[cfg(feature = "hub")]
pub mod hub;
pub mod in_process;
pub mod prompt;
#[cfg(feature = "terminal")]
pub mod terminal;

#[cfg(feature = "api")]
pub use api::{ApiOptions, ApiProvider};
#[cfg(feature = "hub")]
pub use hub::HubProvider;
pub use in_process::InProcessProvider;
#[cfg(feature = "terminal")]
pub use terminal::TerminalProvider;
