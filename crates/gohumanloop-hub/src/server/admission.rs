//! Counting open connections, overall and per client address, to decide how each new one is
//! served. A connection over a cap is still accepted, so that `/health` keeps answering and the
//! client gets a clear refusal, but only a few such connections at a time: a new one closes the
//! oldest, so that clients holding them open cannot keep a health check out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::limits::ServeLimits;

/// Connections admitted over a cap (to be answered and closed) at once.
const OVER_CAP_RESERVE: usize = 64;

/// How a new connection is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Normally.
    Serve,
    /// Over the overall cap: `/health` is answered, anything else gets 503.
    HubFull,
    /// Over the per-address cap: `/health` is answered, anything else gets 429.
    AddressFull,
}

/// The open connections.
#[derive(Debug)]
pub(crate) struct Admission {
    limits: ServeLimits,
    counts: Mutex<Counts>,
}

/// What [`Admission`] counts, behind one lock (taken once per connection, never per request).
#[derive(Debug, Default)]
struct Counts {
    /// Connections served normally.
    open: usize,
    /// Of those, per client.
    per_address: HashMap<IpAddr, usize>,
    /// The connections over a cap, oldest first, each with what closes it.
    over_cap: VecDeque<(u64, Arc<Notify>)>,
    /// The place the next connection over a cap gets.
    next_over_cap: u64,
}

/// Holds a connection's place until it closes.
#[derive(Debug)]
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    address: IpAddr,
    kind: Admit,
    /// Over a cap: its place in the reserve, and what tells it to close.
    evictable: Option<(u64, Arc<Notify>)>,
}

impl Ticket {
    /// How the connection is served.
    pub(crate) fn kind(&self) -> Admit {
        self.kind
    }

    /// Completes when a connection over a cap must close to make room for a newer one (never
    /// for a connection served normally).
    pub(crate) async fn evicted(&self) {
        match &self.evictable {
            Some((_, notify)) => notify.notified().await,
            None => std::future::pending().await,
        }
    }
}

impl Admission {
    pub(crate) fn new(limits: ServeLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            counts: Mutex::default(),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a connection from `address`.
    pub(crate) fn admit(self: &Arc<Self>, address: IpAddr) -> Ticket {
        let address = client_of(address);
        let mut counts = self.counts();
        let from_address = counts.per_address.get(&address).copied().unwrap_or(0);
        let kind = if from_address >= self.limits.max_connections_per_address {
            Admit::AddressFull
        } else if counts.open >= self.limits.max_connections {
            Admit::HubFull
        } else {
            *counts.per_address.entry(address).or_insert(0) += 1;
            counts.open += 1;
            Admit::Serve
        };
        let evictable = (kind != Admit::Serve).then(|| {
            if counts.over_cap.len() >= OVER_CAP_RESERVE {
                if let Some((_, oldest)) = counts.over_cap.pop_front() {
                    oldest.notify_one();
                }
            }
            let place = (counts.next_over_cap, Arc::new(Notify::new()));
            counts.next_over_cap += 1;
            counts.over_cap.push_back(place.clone());
            place
        });
        drop(counts);
        Ticket {
            admission: Arc::clone(self),
            address,
            kind,
            evictable,
        }
    }
}

/// Whom a connection is counted against: an IPv4 address, or an IPv6 /64, which one client
/// usually holds whole (as the sign-in throttle counts them).
fn client_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.admission.counts();
        if let Some((place, _)) = &self.evictable {
            counts.over_cap.retain(|(other, _)| other != place);
            return;
        }
        counts.open -= 1;
        if let Some(count) = counts.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn caps_hold_per_address_and_overall_and_places_come_back() {
        let admission = Admission::new(ServeLimits {
            max_connections: 3,
            max_connections_per_address: 2,
            ..ServeLimits::default()
        });
        let a1 = admission.admit(ip(1));
        let a2 = admission.admit(ip(1));
        assert_eq!((a1.kind(), a2.kind()), (Admit::Serve, Admit::Serve));
        assert_eq!(admission.admit(ip(1)).kind(), Admit::AddressFull);
        let b1 = admission.admit(ip(2));
        assert_eq!(b1.kind(), Admit::Serve);
        assert_eq!(admission.admit(ip(3)).kind(), Admit::HubFull);
        drop(a1);
        assert_eq!(admission.admit(ip(3)).kind(), Admit::Serve);
        drop((a2, b1));
        let counts = admission.counts();
        assert!(counts.over_cap.is_empty() && counts.per_address.is_empty());
        assert_eq!(counts.open, 0);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let admission = Admission::new(ServeLimits {
            max_connections: 10,
            max_connections_per_address: 2,
            ..ServeLimits::default()
        });
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let _a = admission.admit(ip("2001:db8:1:2::1"));
        let _b = admission.admit(ip("2001:db8:1:2::ffff"));
        assert_eq!(
            admission.admit(ip("2001:db8:1:2:3::9")).kind(),
            Admit::AddressFull
        );
        assert_eq!(admission.admit(ip("2001:db8:1:3::1")).kind(), Admit::Serve);
        // An IPv4 client over IPv6 is the IPv4 address.
        let _c = admission.admit(ip("::ffff:10.0.0.7"));
        let _d = admission.admit(ip("10.0.0.7"));
        assert_eq!(admission.admit(ip("10.0.0.7")).kind(), Admit::AddressFull);
    }

    #[tokio::test]
    async fn a_new_connection_over_the_cap_closes_the_oldest_one() {
        let admission = Admission::new(ServeLimits {
            max_connections: 1,
            max_connections_per_address: 1,
            ..ServeLimits::default()
        });
        let served = admission.admit(ip(1));
        let over: Vec<Ticket> = (0..OVER_CAP_RESERVE)
            .map(|_| admission.admit(ip(2)))
            .collect();
        assert!(over.iter().all(|t| t.kind() == Admit::HubFull));
        let newest = admission.admit(ip(3));
        // The oldest is told to close at once; the others and the newest are not.
        tokio::time::timeout(std::time::Duration::from_secs(5), over[0].evicted())
            .await
            .expect("the oldest connection over the cap is closed");
        let still_open = futures_util::FutureExt::now_or_never(over[1].evicted());
        assert!(still_open.is_none());
        assert!(futures_util::FutureExt::now_or_never(newest.evicted()).is_none());
        assert!(futures_util::FutureExt::now_or_never(served.evicted()).is_none());
        assert_eq!(admission.counts().over_cap.len(), OVER_CAP_RESERVE);
        drop(over);
        assert_eq!(admission.counts().over_cap.len(), 1);
    }
}
