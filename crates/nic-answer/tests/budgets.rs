//! Property test: random workloads against the caches and the session store never exceed
//! their budgets (bytes for caches, count and turns for sessions), and eviction is counted.

use nic_answer::cache::ByteLru;
use nic_answer::session::{MemorySessionStore, SessionStore, Turn, MAX_TURNS};
use proptest::prelude::*;
use std::time::Duration;

#[derive(Debug, Clone)]
enum CacheOp {
    Insert(u16, usize),
    Get(u16),
    Shrink(usize),
}

fn cache_op() -> impl Strategy<Value = CacheOp> {
    prop_oneof![
        6 => (any::<u16>(), 1usize..5000).prop_map(|(k, b)| CacheOp::Insert(k % 500, b)),
        3 => any::<u16>().prop_map(|k| CacheOp::Get(k % 500)),
        1 => (0usize..70_000).prop_map(CacheOp::Shrink),
    ]
}

#[derive(Debug, Clone)]
enum SessionOp {
    Append(u8, u8, usize),
    Get(u8, u8),
    Delete(u8, u8),
    Shrink(usize),
}

fn session_op() -> impl Strategy<Value = SessionOp> {
    prop_oneof![
        6 => (any::<u8>(), 0u8..4, 0usize..3000).prop_map(|(s, c, n)| SessionOp::Append(s, c, n)),
        2 => (any::<u8>(), 0u8..4).prop_map(|(s, c)| SessionOp::Get(s, c)),
        1 => (any::<u8>(), 0u8..4).prop_map(|(s, c)| SessionOp::Delete(s, c)),
        1 => (0usize..50).prop_map(SessionOp::Shrink),
    ]
}

proptest! {
    #[test]
    fn cache_never_exceeds_its_byte_budget(ops in prop::collection::vec(cache_op(), 1..400)) {
        let mut budget = 64 * 1024;
        let c: ByteLru<u16, Vec<u8>> = ByteLru::new("prop", budget, Duration::from_secs(60));
        let mut inserted = 0u64;
        for op in ops {
            match op {
                CacheOp::Insert(k, b) => { c.insert(k, vec![0; 1], b); inserted += 1; }
                CacheOp::Get(k) => { let _ = c.get(&k); }
                CacheOp::Shrink(b) => { budget = b; c.set_budget(b); }
            }
            let st = c.stats();
            prop_assert!(st.bytes <= budget, "{} > {}", st.bytes, budget);
            prop_assert!(st.entries as u64 <= inserted);
        }
    }

    #[test]
    fn sessions_stay_bounded(ops in prop::collection::vec(session_op(), 1..400)) {
        let max = 20;
        let s = MemorySessionStore::new(max, Duration::from_secs(600));
        for op in ops {
            match op {
                SessionOp::Append(id, client, n) => s.append(
                    &format!("s{id}"),
                    &format!("c{client}"),
                    Turn {
                        question: "q".repeat(n),
                        query: "q".repeat(n),
                        answer: "a".repeat(n),
                        status: "answered".into(),
                        at_unix: 0,
                    },
                ),
                SessionOp::Get(id, client) => {
                    if let Some(sess) = s.get(&format!("s{id}"), &format!("c{client}")) {
                        prop_assert!(sess.turns.len() <= MAX_TURNS);
                        for t in &sess.turns {
                            prop_assert!(t.question.len() <= 600 && t.answer.len() <= 600);
                        }
                    }
                }
                SessionOp::Delete(id, client) => { s.delete(&format!("s{id}"), &format!("c{client}")); }
                SessionOp::Shrink(k) => { s.shrink_to(k); }
            }
            let st = s.stats();
            prop_assert!(st.active <= max);
            // 6 turns of at most 3 x 600 chars plus overhead per session.
            prop_assert!(st.bytes <= max * (MAX_TURNS * (3 * 600 + 48) + 256));
        }
    }
}
