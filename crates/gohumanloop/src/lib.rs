//! # gohumanloop
//!
//! Let AI agents stop at critical points and ask a human — for an **approval**, for
//! **information**, or for a **conversation** — and resume with the answer.
//!
//! - [`model`]: loop types, statuses, requests, results and the wire bodies of the protocol.
//! - [`Provider`]: the seam between the manager and a way of asking (terminal, in-process, …).
//! - [`Manager`]: registers providers, keeps the task → conversation → request books, runs
//!   callbacks and waits that the provider wakes. [`SyncManager`] serves non-async code.
//! - [`guard`]: `require_approval`, `require_info` and a conversation loop around your code.
//! - [`interrupt`]: stop a step at a question and resume it later, in any process, once.
//!
//! ```no_run
//! use std::sync::Arc;
//! use gohumanloop::{guard::Guard, Manager, TerminalProvider};
//! use serde_json::json;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = Manager::with_provider(Arc::new(TerminalProvider::new("terminal")))?;
//! let guard = Guard::new(manager);
//! let removed = guard
//!     .require_approval("delete_files", json!({"path": "/tmp/cache"}), |_approval| async {
//!         "deleted" // the dangerous work runs only once a human approved
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod guard;
pub mod interrupt;
pub mod manager;
pub mod model;
pub mod provider;
pub mod providers;

pub use error::{Error, Result};
pub use manager::{HumanLoopCallback, LoopRequest, Manager, SyncManager, Ticket};
pub use model::{HumanLoopRequest, HumanLoopResult, LoopType, Status};
pub use provider::{Answer, Provider, ProviderError};
pub use providers::InProcessProvider;
#[cfg(feature = "terminal")]
pub use providers::TerminalProvider;
