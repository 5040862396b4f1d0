//! A map of at most `capacity` entries that forgets the least recently written one first:
//! every operation is O(log n), and nothing ever scans or clears the whole map.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A bounded map, oldest write evicted first.
#[derive(Debug)]
pub(super) struct Recent<K, V> {
    entries: HashMap<K, (V, u64)>,
    /// Write order: sequence number → key; the first is the oldest.
    order: BTreeMap<u64, K>,
    next: u64,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V: Copy> Recent<K, V> {
    /// An empty map that keeps at most `capacity` entries (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next: 0,
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`.
    pub(super) fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key).map(|(value, _)| *value)
    }

    /// Sets `key` to `change(its value)`, making it the newest entry; evicts the oldest entry
    /// when the map is full.
    pub(super) fn write(&mut self, key: K, change: impl FnOnce(Option<V>) -> V) {
        let old = self.entries.remove(&key);
        if let Some((_, seq)) = &old {
            self.order.remove(seq);
        } else if self.entries.len() >= self.capacity {
            if let Some((_, oldest)) = self.order.pop_first() {
                self.entries.remove(&oldest);
            }
        }
        let seq = self.next;
        self.next += 1;
        self.order.insert(seq, key.clone());
        self.entries
            .insert(key, (change(old.map(|(value, _)| value)), seq));
    }

    /// Forgets `key`.
    pub(super) fn remove(&mut self, key: &K) {
        if let Some((_, seq)) = self.entries.remove(key) {
            self.order.remove(&seq);
        }
    }

    /// How many entries there are.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn the_oldest_write_is_evicted_first() {
        let mut map = Recent::new(3);
        for key in ["a", "b", "c"] {
            map.write(key, |_| 1);
        }
        map.write("a", |old| old.unwrap_or(0) + 1);
        map.write("d", |_| 1);
        assert_eq!(map.get(&"b"), None, "the oldest write goes");
        assert_eq!(map.get(&"a"), Some(2), "a rewritten entry is new again");
        assert_eq!((map.get(&"c"), map.get(&"d")), (Some(1), Some(1)));
        assert_eq!((map.len(), map.order.len()), (3, 3));
        map.remove(&"c");
        assert_eq!((map.len(), map.order.len()), (2, 2));
        for i in 0..1_000 {
            map.write(["e", "f", "g", "h", "i"][i % 5], |_| i);
        }
        assert_eq!((map.len(), map.order.len()), (3, 3));
    }
}
