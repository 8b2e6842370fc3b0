//! Per-client conversation sessions, bounded by count, bytes per session and idle time.
//!
//! A session belongs to the client that created it: looking it up from another client
//! identity behaves exactly like a missing session, so one client can never steer another's
//! answers. The store is a trait (DESIGN §7) so a Redis-backed store can replace the
//! in-memory one for several replicas.

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Turns kept per session: enough to resolve "and what torque for those?".
pub const MAX_TURNS: usize = 6;
/// Characters kept of each question and answer in a turn.
const MAX_TURN_CHARS: usize = 600;

#[derive(Debug, Clone, Serialize)]
pub struct Turn {
    pub question: String,
    /// The retrieval query actually used (after follow-up rewriting).
    pub query: String,
    pub answer: String,
    pub status: String,
    pub at_unix: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: String,
    #[serde(skip)]
    pub client: String,
    pub turns: Vec<Turn>,
    pub created_unix: u64,
}

impl Session {
    /// What this session costs the store: the heap behind every string and the turn vector
    /// (capacities, not lengths), the map slot with its key (a second copy of the id) and the
    /// entry itself. Lengths alone undercounted by about half in `nic bench shed` (16.8 MB
    /// reported against ~33 MB of allocator growth), which made the byte budget optimistic.
    fn bytes(&self) -> usize {
        use std::mem::size_of;
        let turns: usize = self
            .turns
            .iter()
            .map(|t| {
                t.question.capacity()
                    + t.query.capacity()
                    + t.answer.capacity()
                    + t.status.capacity()
            })
            .sum();
        size_of::<Entry>()
            + size_of::<String>()
            + 2 * self.id.capacity()
            + self.client.capacity()
            + self.turns.capacity() * size_of::<Turn>()
            + turns
    }
}

/// Counters for /metrics and /debug/memory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionStats {
    pub active: usize,
    pub bytes: usize,
    pub max: usize,
    pub evictions: u64,
    pub expirations: u64,
}

pub trait SessionStore: Send + Sync {
    /// The session if it exists, belongs to `client` and has not expired.
    fn get(&self, id: &str, client: &str) -> Option<Session>;
    /// Appends a turn, creating the session when needed.
    fn append(&self, id: &str, client: &str, turn: Turn);
    /// Whether a live session with this id exists for any client (a guessed or foreign
    /// id must not be handed back to the wrong client).
    fn exists(&self, id: &str) -> bool;
    /// Removes a session; false when it did not exist for this client.
    fn delete(&self, id: &str, client: &str) -> bool;
    fn stats(&self) -> SessionStats;
    /// Drops expired sessions; returns how many.
    fn sweep(&self) -> usize;
    /// Evicts least-recently-used sessions until at most `keep` remain (memory pressure).
    fn shrink_to(&self, keep: usize) -> usize;
}

struct Entry {
    session: Session,
    last_used: Instant,
}

pub struct MemorySessionStore {
    inner: Mutex<Inner>,
    max: usize,
    ttl: Duration,
}

struct Inner {
    map: HashMap<String, Entry>,
    bytes: usize,
    evictions: u64,
    expirations: u64,
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

impl MemorySessionStore {
    pub fn new(max: usize, ttl: Duration) -> Self {
        Self {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                bytes: 0,
                evictions: 0,
                expirations: 0,
            }),
            max: max.max(1),
            ttl,
        }
    }

    fn remove(inner: &mut Inner, id: &str) -> Option<Entry> {
        let e = inner.map.remove(id)?;
        inner.bytes = inner.bytes.saturating_sub(e.session.bytes());
        Some(e)
    }

    fn evict_lru(inner: &mut Inner) {
        if let Some(oldest) = inner
            .map
            .iter()
            .min_by_key(|(_, e)| e.last_used)
            .map(|(k, _)| k.clone())
        {
            Self::remove(inner, &oldest);
            inner.evictions += 1;
        }
    }
}

impl SessionStore for MemorySessionStore {
    fn get(&self, id: &str, client: &str) -> Option<Session> {
        let mut inner = self.inner.lock();
        let expired = match inner.map.get(id) {
            None => return None,
            Some(e) => e.last_used.elapsed() > self.ttl,
        };
        if expired {
            Self::remove(&mut inner, id);
            inner.expirations += 1;
            return None;
        }
        let e = inner.map.get_mut(id)?;
        if e.session.client != client {
            return None;
        }
        e.last_used = Instant::now();
        Some(e.session.clone())
    }

    fn append(&self, id: &str, client: &str, mut turn: Turn) {
        turn.question = truncate(&turn.question, MAX_TURN_CHARS);
        turn.query = truncate(&turn.query, MAX_TURN_CHARS);
        turn.answer = truncate(&turn.answer, MAX_TURN_CHARS);
        let mut inner = self.inner.lock();
        let owned_by_other = inner
            .map
            .get(id)
            .is_some_and(|e| e.session.client != client);
        if owned_by_other {
            // Never write into another client's session; the caller minted the id, so a
            // clash means a guessed id. Drop the turn silently rather than leak anything.
            return;
        }
        let mut entry = Self::remove(&mut inner, id).unwrap_or_else(|| Entry {
            session: Session {
                id: id.to_string(),
                client: client.to_string(),
                turns: Vec::new(),
                created_unix: now_unix(),
            },
            last_used: Instant::now(),
        });
        entry.session.turns.push(turn);
        if entry.session.turns.len() > MAX_TURNS {
            let excess = entry.session.turns.len() - MAX_TURNS;
            entry.session.turns.drain(..excess);
        }
        entry.last_used = Instant::now();
        while inner.map.len() >= self.max {
            Self::evict_lru(&mut inner);
        }
        inner.bytes += entry.session.bytes();
        inner.map.insert(id.to_string(), entry);
    }

    fn exists(&self, id: &str) -> bool {
        self.inner
            .lock()
            .map
            .get(id)
            .is_some_and(|e| e.last_used.elapsed() <= self.ttl)
    }

    fn delete(&self, id: &str, client: &str) -> bool {
        let mut inner = self.inner.lock();
        if inner
            .map
            .get(id)
            .is_some_and(|e| e.session.client == client)
        {
            Self::remove(&mut inner, id);
            true
        } else {
            false
        }
    }

    fn stats(&self) -> SessionStats {
        let inner = self.inner.lock();
        SessionStats {
            active: inner.map.len(),
            bytes: inner.bytes,
            max: self.max,
            evictions: inner.evictions,
            expirations: inner.expirations,
        }
    }

    fn sweep(&self) -> usize {
        let mut inner = self.inner.lock();
        let expired: Vec<String> = inner
            .map
            .iter()
            .filter(|(_, e)| e.last_used.elapsed() > self.ttl)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &expired {
            Self::remove(&mut inner, k);
        }
        inner.expirations += expired.len() as u64;
        expired.len()
    }

    fn shrink_to(&self, keep: usize) -> usize {
        let mut inner = self.inner.lock();
        let excess = inner.map.len().saturating_sub(keep);
        if excess == 0 {
            return 0;
        }
        // One pass to find the `excess` least recently used (evicting one by one would scan
        // the whole store per eviction while holding the lock).
        let mut by_age: Vec<(Instant, String)> = inner
            .map
            .iter()
            .map(|(k, e)| (e.last_used, k.clone()))
            .collect();
        by_age.select_nth_unstable_by_key(excess - 1, |(t, _)| *t);
        for (_, k) in &by_age[..excess] {
            Self::remove(&mut inner, k);
        }
        inner.evictions += excess as u64;
        // Memory pressure: give the table's spare capacity back as well.
        inner.map.shrink_to_fit();
        excess
    }
}

/// Rewrites a follow-up question for retrieval using the session's last turn: "and what
/// torque for those?" after "how do I replace the caliper bolts" searches for both.
pub fn rewrite_followup(question: &str, session: Option<&Session>) -> String {
    let Some(last) = session.and_then(|s| s.turns.last()) else {
        return question.to_string();
    };
    let q = question.trim().to_lowercase();
    let words: Vec<&str> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const REFERRING: &[&str] = &[
        "it", "its", "those", "these", "that", "them", "they", "this", "there", "one", "ones",
        "same", "him", "her",
    ];
    let starts_continuation = ["and ", "what about", "how about", "also ", "then ", "and?"]
        .iter()
        .any(|p| q.starts_with(p));
    let refers = words.iter().any(|w| REFERRING.contains(w));
    let content = crate::text::content_words(question).len();
    if starts_continuation || (refers && content <= 4) || content <= 1 {
        format!("{} {}", last.query, question.trim())
    } else {
        question.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(q: &str) -> Turn {
        Turn {
            question: q.into(),
            query: q.into(),
            answer: "a".into(),
            status: "answered".into(),
            at_unix: 0,
        }
    }

    #[test]
    fn sessions_are_per_client_and_bounded() {
        let s = MemorySessionStore::new(3, Duration::from_secs(60));
        s.append("a", "alice", turn("q1"));
        assert!(s.get("a", "bob").is_none());
        s.append("a", "bob", turn("intrusion"));
        assert_eq!(s.get("a", "alice").unwrap().turns.len(), 1);
        assert!(!s.delete("a", "bob"));
        for i in 0..10 {
            s.append(&format!("s{i}"), "c", turn("q"));
        }
        let st = s.stats();
        assert!(st.active <= 3);
        assert!(st.evictions >= 8);
        for _ in 0..20 {
            s.append("s9", "c", turn("more"));
        }
        assert_eq!(s.get("s9", "c").unwrap().turns.len(), MAX_TURNS);
    }

    #[test]
    fn shrink_keeps_the_most_recently_used() {
        let s = MemorySessionStore::new(100, Duration::from_secs(60));
        for i in 0..10 {
            s.append(&format!("s{i}"), "c", turn("q"));
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(s.get("s0", "c").is_some(), "s0 is now the most recent");
        assert_eq!(s.shrink_to(4), 6);
        let st = s.stats();
        assert_eq!((st.active, st.evictions), (4, 6));
        for id in ["s0", "s7", "s8", "s9"] {
            assert!(s.get(id, "c").is_some(), "{id} kept");
        }
        assert!(s.get("s1", "c").is_none());
        assert_eq!(s.shrink_to(10), 0);
        assert_eq!(s.shrink_to(0), 4);
        assert_eq!(s.stats().bytes, 0);
    }

    #[test]
    fn sessions_expire() {
        let s = MemorySessionStore::new(10, Duration::from_millis(0));
        s.append("a", "c", turn("q"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(s.get("a", "c").is_none());
        assert_eq!(s.stats().active, 0);
    }

    #[test]
    fn followups_are_rewritten() {
        let s = Session {
            id: "x".into(),
            client: "c".into(),
            turns: vec![turn("how do I replace the brake caliper")],
            created_unix: 0,
        };
        let r = rewrite_followup("and what torque for those?", Some(&s));
        assert!(r.contains("brake caliper") && r.contains("torque"));
        let r = rewrite_followup(
            "What is the refrigerant charge for the rooftop unit?",
            Some(&s),
        );
        assert!(!r.contains("caliper"));
        assert_eq!(rewrite_followup("and the torque?", None), "and the torque?");
    }
}
