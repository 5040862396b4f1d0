//! Slows down password guessing, by account name and by client address, without letting
//! anyone lock an account's owner out.
//!
//! **By address** (a leaky bucket): an address may fail [`ADDRESS_BURST`] times at once, then
//! one more time per [`ADDRESS_LEAK`]; while its bucket is full it is refused before any
//! password is checked — the right password too. This stops one client from guessing at many
//! names. The numbers are loose because many people may share an address (an office behind
//! NAT): 30 typos at once, and 60 an hour after that, are far more than a team makes, and far
//! fewer than guessing needs. IPv6 clients count by their /64, which one client usually owns
//! whole.
//!
//! **By name**: after [`FREE_FAILURES`] failures for a name, the name is *paused* — 30 s,
//! doubling with every further failure, up to 15 minutes. A paused name does not refuse the
//! right password from an address that is not itself paused (so knowing a name is not enough
//! to lock its owner out); instead every wrong password for it costs the address
//! [`PAUSED_NAME_COST`] failures, so each address gets three guesses at an account under
//! attack, then one every ten minutes: the name's pause is paid by the guessing addresses,
//! never by the owner.
//!
//! A successful sign-in clears its name's record, never its address's (one valid account must
//! not reset the guessing of another). Both tables are bounded ([`MAX_NAMES`],
//! [`MAX_ADDRESSES`]) and forget the entry whose last failure is oldest; no failure scans or
//! clears a whole table. Evicting a paused name takes [`MAX_NAMES`] fresh failures within its
//! pause, which the address limit makes a matter of thousands of addresses. Records live in
//! memory: a restart forgets them.

mod recent;

use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use self::recent::Recent;
use super::client::ClientAddress;

/// Failures allowed for a name before its first pause.
const FREE_FAILURES: u32 = 5;

/// The first pause of a name; each further failure doubles it.
const FIRST_PAUSE: Duration = Duration::from_secs(30);

/// The longest pause, of a name or an address.
const MAX_PAUSE: Duration = Duration::from_secs(15 * 60);

/// A name's failures older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(60 * 60);

/// Failures an address may make at once.
const ADDRESS_BURST: u32 = 30;

/// How often an address is forgiven one failure.
const ADDRESS_LEAK: Duration = Duration::from_secs(60);

/// What a wrong password for a paused name costs its address, in failures.
const PAUSED_NAME_COST: u32 = 10;

/// How many names are remembered at most.
const MAX_NAMES: usize = 50_000;

/// How many addresses are remembered at most.
const MAX_ADDRESSES: usize = 50_000;

/// How much of a name is kept: enough to tell accounts apart (`ghl users` allows 64 bytes),
/// never a memory burden however long the names an attacker sends.
const NAME_BYTES: usize = 64;

/// The record's key for a name.
fn name_key(name: &str) -> String {
    let mut end = name.len().min(NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

/// The record's key for an address: IPv4 whole, IPv6 by its /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddressKey {
    /// Requests without a peer (a router called in-process).
    Unknown,
    V4(u32),
    V6(u64),
}

impl From<ClientAddress> for AddressKey {
    fn from(client: ClientAddress) -> Self {
        match client.0.map(|ip| ip.to_canonical()) {
            None => AddressKey::Unknown,
            Some(IpAddr::V4(ip)) => AddressKey::V4(ip.into()),
            Some(IpAddr::V6(ip)) => AddressKey::V6((u128::from(ip) >> 64) as u64),
        }
    }
}

/// A name's failures.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// How long the name is still paused at `now`.
    fn wait(self, now: Instant) -> Option<Duration> {
        if now.saturating_duration_since(self.last) >= MEMORY {
            return None;
        }
        let over = self.count.checked_sub(FREE_FAILURES)?;
        let pause = FIRST_PAUSE
            .checked_mul(1 << over.min(16))
            .unwrap_or(MAX_PAUSE)
            .min(MAX_PAUSE);
        (self.last + pause)
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
    }
}

/// An address's leaky bucket: `level` failures, of which one leaks out every
/// [`ADDRESS_LEAK`] after `since`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: u32,
    since: Instant,
}

impl Bucket {
    /// The bucket at `now`, with what leaked out since taken away.
    fn at(self, now: Instant) -> Self {
        let elapsed = now.saturating_duration_since(self.since);
        let leaked = elapsed.as_secs() / ADDRESS_LEAK.as_secs();
        if leaked >= u64::from(self.level) {
            return Bucket {
                level: 0,
                since: now,
            };
        }
        Bucket {
            // `leaked < level`, so it fits a u32.
            level: self.level - leaked as u32,
            since: self.since + ADDRESS_LEAK * leaked as u32,
        }
    }

    /// How long the address is still refused at `now`.
    fn wait(self, now: Instant) -> Option<Duration> {
        let bucket = self.at(now);
        let over = bucket.level.checked_sub(ADDRESS_BURST)?;
        (bucket.since + ADDRESS_LEAK * (over + 1))
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
    }

    /// The bucket after `cost` more failures at `now`; full for at most [`MAX_PAUSE`].
    fn add(self, cost: u32, now: Instant) -> Self {
        let bucket = self.at(now);
        let cap = ADDRESS_BURST - 1 + (MAX_PAUSE.as_secs() / ADDRESS_LEAK.as_secs()) as u32;
        Bucket {
            level: bucket.level.saturating_add(cost).min(cap),
            since: bucket.since,
        }
    }
}

/// Both tables, behind one lock.
#[derive(Debug)]
struct Tables {
    names: Recent<String, Failures>,
    addresses: Recent<AddressKey, Bucket>,
}

/// Failed sign-ins by account name and by client address; see the module documentation.
#[derive(Debug)]
pub(crate) struct Throttle {
    tables: Mutex<Tables>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::with_capacity(MAX_NAMES, MAX_ADDRESSES)
    }
}

impl Throttle {
    /// A throttle that remembers at most `names` names and `addresses` addresses.
    fn with_capacity(names: usize, addresses: usize) -> Self {
        Self {
            tables: Mutex::new(Tables {
                names: Recent::new(names),
                addresses: Recent::new(addresses),
            }),
        }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `client` must still wait before any password of it is checked (`None`: it
    /// may try now, whatever the name).
    pub(crate) fn wait(&self, client: ClientAddress, now: Instant) -> Option<Duration> {
        self.tables().addresses.get(&client.into())?.wait(now)
    }

    /// How long `name` is still paused (which the right password passes).
    #[cfg(test)]
    fn name_wait(&self, name: &str, now: Instant) -> Option<Duration> {
        let tables = self.tables();
        tables.names.get(&name_key(name))?.wait(now)
    }

    /// Records a wrong password for `name` from `client`.
    pub(crate) fn failed(&self, name: &str, client: ClientAddress, now: Instant) {
        let mut tables = self.tables();
        let key = name_key(name);
        let failures = tables.names.get(&key);
        let cost = match failures.and_then(|f| f.wait(now)) {
            Some(_) => PAUSED_NAME_COST,
            None => 1,
        };
        tables.names.write(key, |_| {
            let count = match failures {
                Some(f) if now.saturating_duration_since(f.last) < MEMORY => f.count,
                _ => 0,
            };
            Failures {
                count: count.saturating_add(1),
                last: now,
            }
        });
        tables.addresses.write(client.into(), |bucket| {
            let empty = Bucket {
                level: 0,
                since: now,
            };
            bucket.unwrap_or(empty).add(cost, now)
        });
    }

    /// Forgets the failures of a name that signed in (not those of its address).
    pub(crate) fn succeeded(&self, name: &str) {
        self.tables().names.remove(&name_key(name));
    }
}

#[cfg(test)]
mod tests;
