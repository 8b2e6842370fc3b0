//! `set_threads` changes process-global state, so it gets its own test binary (process).

use std::path::Path;

use nic_embed::{threads, Embedder, LazyEmbedder};

#[test]
fn set_threads_caps_the_pool_and_first_call_wins() {
    assert!(nic_embed::set_threads(1));
    assert_eq!(threads::threads(), 1);
    assert!(
        !nic_embed::set_threads(3),
        "second call must not replace the pool"
    );
    assert_eq!(threads::threads(), 1);

    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/all-MiniLM-L6-v2"
    ));
    if !dir.join("model.safetensors").is_file() {
        eprintln!(
            "SKIP: model not found at {}; run `make model`",
            dir.display()
        );
        return;
    }
    let m = LazyEmbedder::new(dir).unwrap();
    let v = m
        .embed(&["bleed the brakes", "torque the caliper bolts"])
        .unwrap();
    assert_eq!(v.len(), 2);
    let norm: f32 = v[1].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
}
