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

/// A position in the listing of pending requests by urgency: by deadline (Unix ms; none sorts
/// last), then by arrival. Ordered as that listing is (a greater one comes later), so that pages
/// read from several tenants can be merged. Its text form is `<deadline>.<position>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Urgency {
    deadline: i64,
    position: i64,
}

impl Urgency {
    /// The position of a request with `deadline` (Unix ms, `i64::MAX` for none: after every
    /// real one) at the store's own `position`.
    pub(crate) fn at(deadline: i64, position: i64) -> Self {
        Self { deadline, position }
    }

    /// The deadline key.
    pub(crate) fn deadline(self) -> i64 {
        self.deadline
    }

    /// The store's own position.
    pub(crate) fn position(self) -> i64 {
        self.position
    }
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.deadline, self.position)
    }
}

impl FromStr for Urgency {
    type Err = BadCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (deadline, position) = text.split_once('.').ok_or(BadCursor)?;
        match (deadline.parse::<i64>(), position.parse::<i64>()) {
            (Ok(deadline), Ok(position)) if position > 0 => Ok(Self { deadline, position }),
            _ => Err(BadCursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgencies_round_trip_and_order_by_deadline_then_arrival() {
        let soon = Urgency::at(1_000, 9);
        let later = Urgency::at(2_000, 1);
        let never = Urgency::at(i64::MAX, 2);
        assert!(soon < later && later < never);
        assert!(Urgency::at(1_000, 3) < soon);
        for u in [soon, later, never] {
            assert_eq!(u.to_string().parse::<Urgency>(), Ok(u));
        }
        for bad in ["", "1", "1.", ".2", "a.b", "1.0", "1.-3"] {
            assert_eq!(bad.parse::<Urgency>(), Err(BadCursor), "{bad}");
        }
    }
}
