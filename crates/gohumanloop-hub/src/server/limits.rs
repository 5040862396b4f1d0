//! How many connections the hub holds open, overall and per client address, derived from the
//! process's open-file limit.

use std::time::Duration;

use super::paced_body::BODY_GRACE;

/// File descriptors kept out of the connection budget: the database, its WAL, the mail
/// connections, the log, and the connections admitted over the cap only to be answered.
const RESERVED_FILES: u64 = 256;

/// The default per-address cap. Every waiting agent holds one connection, and a single
/// machine may run thousands of agents, so this is generous; it keeps one client from taking
/// every connection the hub has.
pub(crate) const DEFAULT_PER_ADDRESS: usize = 4_096;

/// The connection caps of [`super::serve_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections served at once; past it a new connection is answered `503` (or `/health`)
    /// and closed.
    pub max_connections: usize,
    /// Connections from one client address at once; past it `429` and closed.
    pub max_connections_per_address: usize,
    /// How long any request body may take before it must arrive at
    /// [`BODY_MIN_RATE`](super::BODY_MIN_RATE)
    /// (default [`BODY_GRACE`]).
    pub body_grace: Duration,
}

impl ServeLimits {
    /// Caps that fit an open-file limit of `open_files`.
    pub(crate) fn for_open_files(open_files: u64) -> Self {
        let max_connections = usize::try_from(open_files.saturating_sub(RESERVED_FILES))
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            max_connections,
            max_connections_per_address: DEFAULT_PER_ADDRESS.min(max_connections),
            body_grace: BODY_GRACE,
        }
    }
}

impl Default for ServeLimits {
    /// Caps that fit the process's current open-file (soft) limit.
    fn default() -> Self {
        let open_files = rlimit::getrlimit(rlimit::Resource::NOFILE)
            .map(|(soft, _)| soft)
            .unwrap_or(1_024);
        Self::for_open_files(open_files)
    }
}

/// The largest request body the hub reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_leave_room_for_the_hubs_own_files() {
        let limits = ServeLimits::for_open_files(1_024);
        assert_eq!(limits.max_connections, 768);
        assert_eq!(limits.max_connections_per_address, 768);
        let limits = ServeLimits::for_open_files(1 << 20);
        assert_eq!(limits.max_connections_per_address, DEFAULT_PER_ADDRESS);
        assert_eq!(ServeLimits::for_open_files(10).max_connections, 16);
    }
}
