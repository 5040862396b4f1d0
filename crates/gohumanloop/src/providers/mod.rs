//! The providers that ship with the library, each behind a cargo feature where it pulls in more.

pub mod in_process;
#[cfg(feature = "terminal")]
pub mod terminal;

pub use in_process::InProcessProvider;
#[cfg(feature = "terminal")]
pub use terminal::TerminalProvider;
