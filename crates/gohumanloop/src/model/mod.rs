//! The data model: loop types, statuses, requests, results and the wire bodies.
//!
//! Wire names and defaults are the original's (protocol reference §1 and §8). Parsing is strict
//! where the original was lax: an unknown status string is an error, never a silent `pending`.

mod call;
mod kinds;
mod request;
mod result;
pub mod wire;

pub use call::call_hash;
pub use kinds::{LoopType, Status, UnknownVariant};
pub use request::{new_id, now_rfc3339, HumanLoopRequest, JsonObject};
pub use result::{HistoryEntry, HumanLoopResult};
