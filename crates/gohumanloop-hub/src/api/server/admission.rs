//! Counting open connections, overall and per client address, to decide how each new one is
//! served. A connection over a cap is still accepted, so that `/health` keeps answering and the
//! client gets a clear refusal, but only a few such connections at a time; past those it is
//! closed at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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
    open: AtomicUsize,
    over_cap: AtomicUsize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
}

/// Holds a connection's place until it closes.
#[derive(Debug)]
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    address: IpAddr,
    kind: Admit,
}

impl Ticket {
    /// How the connection is served.
    pub(crate) fn kind(&self) -> Admit {
        self.kind
    }
}

impl Admission {
    pub(crate) fn new(limits: ServeLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: AtomicUsize::new(0),
            over_cap: AtomicUsize::new(0),
            per_address: Mutex::new(HashMap::new()),
        })
    }

    /// Admits a connection from `address`, or `None`: close it without a word.
    pub(crate) fn admit(self: &Arc<Self>, address: IpAddr) -> Option<Ticket> {
        let kind = {
            let mut per_address = self.per_address.lock().unwrap_or_else(|e| e.into_inner());
            let from_address = per_address.get(&address).copied().unwrap_or(0);
            if from_address >= self.limits.max_connections_per_address {
                Admit::AddressFull
            } else if self.open.load(Ordering::Relaxed) >= self.limits.max_connections {
                Admit::HubFull
            } else {
                *per_address.entry(address).or_insert(0) += 1;
                self.open.fetch_add(1, Ordering::Relaxed);
                Admit::Serve
            }
        };
        if kind != Admit::Serve && self.over_cap.fetch_add(1, Ordering::Relaxed) >= OVER_CAP_RESERVE
        {
            self.over_cap.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Ticket {
            admission: Arc::clone(self),
            address,
            kind,
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let admission = &self.admission;
        if self.kind != Admit::Serve {
            admission.over_cap.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        admission.open.fetch_sub(1, Ordering::Relaxed);
        let mut per_address = admission
            .per_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                per_address.remove(&self.address);
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
        let a1 = admission.admit(ip(1)).unwrap();
        let a2 = admission.admit(ip(1)).unwrap();
        assert_eq!((a1.kind(), a2.kind()), (Admit::Serve, Admit::Serve));
        assert_eq!(admission.admit(ip(1)).unwrap().kind(), Admit::AddressFull);
        let b1 = admission.admit(ip(2)).unwrap();
        assert_eq!(b1.kind(), Admit::Serve);
        assert_eq!(admission.admit(ip(3)).unwrap().kind(), Admit::HubFull);
        drop(a1);
        assert_eq!(admission.admit(ip(3)).unwrap().kind(), Admit::Serve);
        drop((a2, b1));
        assert_eq!(admission.over_cap.load(Ordering::Relaxed), 0);
        assert!(admission.per_address.lock().unwrap().is_empty());
    }

    #[test]
    fn only_a_few_connections_over_the_cap_are_answered() {
        let admission = Admission::new(ServeLimits {
            max_connections: 1,
            max_connections_per_address: 1,
            ..ServeLimits::default()
        });
        let _served = admission.admit(ip(1)).unwrap();
        let answered: Vec<Ticket> = (0..OVER_CAP_RESERVE)
            .map_while(|_| admission.admit(ip(1)))
            .collect();
        assert_eq!(answered.len(), OVER_CAP_RESERVE);
        assert!(admission.admit(ip(2)).is_none(), "the reserve is used up");
        drop(answered);
        assert_eq!(admission.admit(ip(2)).unwrap().kind(), Admit::HubFull);
    }
}
