//! Where a listing continues: an opaque position a store hands out with each item of a page
//! and takes back to give the next page. Callers keep it or pass its text form on (the API's
//! `next`); only the store that made it reads what is inside.

use std::fmt;
use std::str::FromStr;

/// A position in one of a store's listings. The cursors of one store order as its items do
/// (a greater one is newer), so that pages read from several listings can be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(i64);

impl Cursor {
    /// A cursor at a store's own position.
    pub(crate) fn at(position: i64) -> Self {
        Self(position)
    }

    /// The store's own position.
    pub(crate) fn position(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Text that is no cursor of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a position handed out by the hub")]
pub struct BadCursor;

impl FromStr for Cursor {
    type Err = BadCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.parse::<i64>() {
            Ok(position) if position > 0 => Ok(Self(position)),
            _ => Err(BadCursor),
        }
    }
}
