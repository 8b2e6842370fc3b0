//! A byte-bounded LRU cache with TTL and counted hits, misses and evictions.
//!
//! Every cache in NIC is one of these, so "nothing grows without a bound you can name"
//! holds by construction: the bound is bytes (`NOVA_CACHE_MAX_MB` split between caches),
//! not entries, because a cached answer and a cached vector differ by orders of magnitude.

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default, Serialize)]
pub struct CacheStats {
    pub name: &'static str,
    pub entries: usize,
    pub bytes: usize,
    pub budget_bytes: usize,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
}

struct Slot<V> {
    value: V,
    bytes: usize,
    inserted: Instant,
    tick: u64,
}

struct Inner<K, V> {
    map: HashMap<K, Slot<V>>,
    bytes: usize,
    budget: usize,
    tick: u64,
    hits: u64,
    misses: u64,
    evictions: u64,
}

pub struct ByteLru<K, V> {
    name: &'static str,
    ttl: Duration,
    inner: Mutex<Inner<K, V>>,
}

impl<K: Eq + Hash + Clone, V: Clone> ByteLru<K, V> {
    pub fn new(name: &'static str, budget_bytes: usize, ttl: Duration) -> Self {
        Self {
            name,
            ttl,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                bytes: 0,
                budget: budget_bytes,
                tick: 0,
                hits: 0,
                misses: 0,
                evictions: 0,
            }),
        }
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let mut g = self.inner.lock();
        g.tick += 1;
        let tick = g.tick;
        let fresh = match g.map.get_mut(k) {
            Some(s) if s.inserted.elapsed() <= self.ttl => {
                s.tick = tick;
                Some(s.value.clone())
            }
            Some(_) => None,
            None => {
                g.misses += 1;
                return None;
            }
        };
        match fresh {
            Some(v) => {
                g.hits += 1;
                Some(v)
            }
            None => {
                if let Some(s) = g.map.remove(k) {
                    g.bytes -= s.bytes;
                    g.evictions += 1;
                }
                g.misses += 1;
                None
            }
        }
    }

    /// Inserts `v` costing `bytes` (key + value + overhead, estimated by the caller).
    /// An entry larger than the whole budget is not cached.
    pub fn insert(&self, k: K, v: V, bytes: usize) {
        let mut g = self.inner.lock();
        if bytes > g.budget {
            return;
        }
        if let Some(old) = g.map.remove(&k) {
            g.bytes -= old.bytes;
        }
        while g.bytes + bytes > g.budget {
            if !Self::evict_one(&mut g) {
                break;
            }
        }
        g.tick += 1;
        let tick = g.tick;
        g.bytes += bytes;
        g.map.insert(
            k,
            Slot {
                value: v,
                bytes,
                inserted: Instant::now(),
                tick,
            },
        );
    }

    fn evict_one(g: &mut Inner<K, V>) -> bool {
        let Some(victim) = g
            .map
            .iter()
            .min_by_key(|(_, s)| s.tick)
            .map(|(k, _)| k.clone())
        else {
            return false;
        };
        if let Some(s) = g.map.remove(&victim) {
            g.bytes -= s.bytes;
            g.evictions += 1;
        }
        true
    }

    /// Changes the budget (memory pressure shrinks caches first), evicting as needed.
    pub fn set_budget(&self, budget_bytes: usize) {
        let mut g = self.inner.lock();
        g.budget = budget_bytes;
        while g.bytes > g.budget {
            if !Self::evict_one(&mut g) {
                break;
            }
        }
    }

    pub fn clear(&self) {
        let mut g = self.inner.lock();
        let n = g.map.len() as u64;
        g.map.clear();
        g.bytes = 0;
        g.evictions += n;
    }

    pub fn stats(&self) -> CacheStats {
        let g = self.inner.lock();
        CacheStats {
            name: self.name,
            entries: g.map.len(),
            bytes: g.bytes,
            budget_bytes: g.budget,
            hits: g.hits,
            misses: g.misses,
            evictions: g.evictions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_budget_holds_and_lru_evicts() {
        let c: ByteLru<u32, u32> = ByteLru::new("t", 100, Duration::from_secs(60));
        for i in 0..50 {
            c.insert(i, i, 10);
            assert!(c.stats().bytes <= 100);
        }
        assert_eq!(c.stats().entries, 10);
        assert!(c.get(&49).is_some());
        assert!(c.get(&0).is_none());
        assert_eq!(c.stats().evictions, 40);
        c.insert(1000, 0, 1000);
        assert!(c.get(&1000).is_none());
        c.set_budget(30);
        assert!(c.stats().bytes <= 30);
    }

    #[test]
    fn ttl_expires() {
        let c: ByteLru<u32, u32> = ByteLru::new("t", 100, Duration::from_millis(0));
        c.insert(1, 1, 10);
        std::thread::sleep(Duration::from_millis(3));
        assert!(c.get(&1).is_none());
        assert_eq!(c.stats().bytes, 0);
    }
}
