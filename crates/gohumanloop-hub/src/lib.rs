//! The GoHumanLoop hub: a durable server that speaks the original `gohumanloop` wire protocol
//! (so the original Python client works against it unchanged), stores every request in SQLite
//! or in PostgreSQL (shared by several hub nodes), pushes answers to waiting agents at once,
//! holds deadlines and keeps a hash-chained audit log.
//!
//! ```no_run
//! # async fn run() -> Result<(), gohumanloop_hub::store::StoreError> {
//! let store = gohumanloop_hub::store::open("sqlite://ghl.db").await?;
//! let hub = gohumanloop_hub::Hub::start(store).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//! let app = gohumanloop_hub::api::router(hub);
//! gohumanloop_hub::server::serve(listener, app, std::future::pending()).await.unwrap();
//! # Ok(()) }
//! ```

pub mod accounts;
pub mod api;
pub mod audit;
pub mod channels;
pub mod core;
/// Entry points for `fuzz/` and its corpus replay test only (not an API).
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod html;
pub(crate) mod json_view;
pub mod keys;
pub(crate) mod metrics;
pub mod policy;
pub mod record;
pub mod server;
pub mod store;
pub mod tasks;
pub mod web;

pub use crate::core::{Hub, HubEvent, TIMED_OUT};
