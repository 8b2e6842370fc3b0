//! Golden tests against the real all-MiniLM-L6-v2 model (`make model` fetches it; CI runs it
//! before the tests). Without the model the model-dependent tests print a message and pass,
//! so a fresh checkout can still run `cargo test`; the error-path tests always run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nic_embed::{model_identity, CandleEmbedder, EmbedError, Embedder, LazyEmbedder};

const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2");

/// First five dimensions of "How do I bleed the brakes?" from the Python reference
/// (sentence-transformers 6.2.0 + torch 2.15 on this model directory, CPU); this crate agrees to ~1e-7.
const BLEED_FIRST5: [f32; 5] = [
    0.021_948_988,
    -0.008_472_948,
    0.007_565_17,
    0.031_164_108,
    0.032_022_152,
];

/// Reference first five dimensions of a 640-token text, which sentence-transformers
/// truncates at 256 tokens: matching them proves we truncate at the same place.
const LONG_FIRST5: [f32; 5] = [
    -0.053_828_537,
    -0.119_889_12,
    0.104_534_32,
    -0.041_636_81,
    0.009_502_762,
];

fn model() -> Option<&'static CandleEmbedder> {
    static M: OnceLock<Option<CandleEmbedder>> = OnceLock::new();
    M.get_or_init(|| {
        let dir = Path::new(MODEL_DIR);
        if !dir.join("model.safetensors").is_file() {
            eprintln!("SKIP: model not found at {MODEL_DIR}; run `make model`");
            return None;
        }
        Some(CandleEmbedder::load(dir).unwrap())
    })
    .as_ref()
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn golden_values_and_unit_norm() {
    let Some(m) = model() else { return };
    assert_eq!(m.dim(), 384);
    let v = m.embed(&["How do I bleed the brakes?"]).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].len(), 384);
    println!("first5 = {:?}", &v[0][..5]);
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    let d = max_abs_diff(&v[0][..5], &BLEED_FIRST5);
    assert!(d < 1e-4, "golden values drifted by {d}: {:?}", &v[0][..5]);
}

#[test]
fn related_sentences_are_closer_than_unrelated() {
    let Some(m) = model() else { return };
    let v = m
        .embed(&[
            "replace the brake pads",
            "brake pad replacement procedure",
            "chocolate cake recipe",
        ])
        .unwrap();
    let related = cos(&v[0], &v[1]);
    let unrelated = cos(&v[0], &v[2]);
    // Reference cosines from sentence-transformers: 0.81595 and 0.10530.
    assert!((related - 0.815_946).abs() < 1e-4, "related {related}");
    assert!(
        (unrelated - 0.105_303).abs() < 1e-4,
        "unrelated {unrelated}"
    );
    assert!(
        related > unrelated + 0.3,
        "related {related} unrelated {unrelated}"
    );
}

#[test]
fn batch_matches_one_by_one() {
    let Some(m) = model() else { return };
    let texts = [
        "Torque the caliper bolts to 25 ft-lbs.",
        "WARNING: Depressurise the hydraulic system before disconnecting any line. Failure to do \
         so may cause serious injury from high-pressure fluid injection.",
        "P0420",
        "",
        "Para 2-2.1 Inspect the rotor for scoring, heat checking and minimum thickness as given in \
         Table 7-1; replace if below the discard limit stamped on the hub.",
    ];
    let batch = m.embed(&texts).unwrap();
    assert_eq!(batch.len(), texts.len());
    for (i, t) in texts.iter().enumerate() {
        let single = m.embed(&[t]).unwrap().remove(0);
        let d = max_abs_diff(&batch[i], &single);
        assert!(d < 1e-5, "text {i} differs by {d} between batch and single");
    }
}

#[test]
fn batches_longer_than_one_forward_pass_keep_order() {
    let Some(m) = model() else { return };
    let owned: Vec<String> = (0..nic_embed::MAX_FORWARD_BATCH + 3)
        .map(|i| format!("maintenance step number {i}"))
        .collect();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let all = m.embed(&texts).unwrap();
    assert_eq!(all.len(), texts.len());
    let last = m.embed(&[texts[texts.len() - 1]]).unwrap().remove(0);
    assert!(max_abs_diff(&all[texts.len() - 1], &last) < 1e-5);
    assert!(m.embed(&[]).unwrap().is_empty());
}

#[test]
fn long_text_is_truncated_not_rejected() {
    let Some(m) = model() else { return };
    let long = "inspect the hydraulic brake line fitting for leaks ".repeat(80);
    assert!(m.count_tokens(&long) > 600, "count must not be truncated");
    assert_eq!(m.max_seq_len(), 256);
    let v = m.embed(&[&long]).unwrap();
    let d = max_abs_diff(&v[0][..5], &LONG_FIRST5);
    assert!(
        d < 1e-4,
        "truncated text differs from reference by {d}: {:?}",
        &v[0][..5]
    );
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
    // Truncation at 256 means everything after the first ~250 words is ignored.
    let longer = format!("{long} chocolate cake recipe with buttercream frosting");
    let w = m.embed(&[&longer]).unwrap();
    assert!(max_abs_diff(&v[0], &w[0]) < 1e-5);
}

#[test]
fn count_tokens_has_no_special_tokens_or_padding() {
    let Some(m) = model() else { return };
    assert_eq!(m.count_tokens(""), 0);
    assert_eq!(m.count_tokens("brake"), 1);
    assert_eq!(m.count_tokens("bleed the brakes"), 3);
}

#[test]
fn identity_is_stable_and_tagged() {
    let Some(m) = model() else { return };
    let id = model_identity(Path::new(MODEL_DIR)).unwrap();
    assert_eq!(id, m.model_id());
    assert!(id.starts_with("all-MiniLM-L6-v2/candle-f32/"), "{id}");
    assert_eq!(id.len(), "all-MiniLM-L6-v2/candle-f32/".len() + 16);
}

#[test]
fn lazy_embedder_loads_on_first_embed_only() {
    let Some(m) = model() else { return };
    let lazy = LazyEmbedder::new(Path::new(MODEL_DIR)).unwrap();
    assert!(!lazy.is_loaded());
    assert_eq!(lazy.dim(), 384);
    assert_eq!(lazy.model_id(), m.model_id());
    assert_eq!(lazy.weight_bytes(), 90_868_376);
    assert_eq!(lazy.count_tokens("bleed the brakes"), 3);
    assert!(!lazy.is_loaded(), "count_tokens must not load the weights");
    let v = lazy.embed(&["How do I bleed the brakes?"]).unwrap();
    assert!(lazy.is_loaded());
    let w = m.embed(&["How do I bleed the brakes?"]).unwrap();
    assert!(max_abs_diff(&v[0], &w[0]) < 1e-6);
}

// ---- error paths: these need no model ----

fn assert_model_error(err: EmbedError, must_mention: &Path) {
    let msg = err.to_string();
    assert!(matches!(err, EmbedError::Model { .. }), "{msg}");
    assert!(
        msg.contains(&must_mention.display().to_string()),
        "error does not name {}: {msg}",
        must_mention.display()
    );
    assert!(msg.contains("make model"), "{msg}");
}

#[test]
fn missing_directory_is_a_model_error_naming_it() {
    let dir = PathBuf::from("/nonexistent/nic/models/all-MiniLM-L6-v2");
    assert_model_error(CandleEmbedder::load(&dir).unwrap_err(), &dir);
    assert_model_error(LazyEmbedder::new(&dir).unwrap_err(), &dir);
    assert_model_error(model_identity(&dir).unwrap_err(), &dir);
}

#[test]
fn empty_directory_names_the_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let err = CandleEmbedder::load(tmp.path()).unwrap_err();
    assert_model_error(err, &tmp.path().join("config.json"));
}

/// A directory with the real tokenizer and weights (symlinked) but a broken config file.
fn model_copy_with(name: &str, contents: &str) -> Option<tempfile::TempDir> {
    let src = Path::new(MODEL_DIR);
    if !src.join("model.safetensors").is_file() {
        eprintln!("SKIP: model not found at {MODEL_DIR}; run `make model`");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("1_Pooling")).unwrap();
    for f in ["config.json", "tokenizer.json", "1_Pooling/config.json"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    std::os::unix::fs::symlink(
        src.join("model.safetensors").canonicalize().unwrap(),
        tmp.path().join("model.safetensors"),
    )
    .unwrap();
    std::fs::write(tmp.path().join(name), contents).unwrap();
    Some(tmp)
}

#[test]
fn corrupt_config_is_a_model_error_naming_it() {
    let Some(tmp) = model_copy_with("config.json", "{ \"hidden_size\": ") else {
        return;
    };
    let cfg = tmp.path().join("config.json");
    assert_model_error(CandleEmbedder::load(tmp.path()).unwrap_err(), &cfg);
    assert_model_error(LazyEmbedder::new(tmp.path()).unwrap_err(), &cfg);
}

#[test]
fn non_mean_pooling_is_refused() {
    let pooling = r#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true,
        "pooling_mode_mean_tokens": false}"#;
    let Some(tmp) = model_copy_with("1_Pooling/config.json", pooling) else {
        return;
    };
    let err = CandleEmbedder::load(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("mean pooling"), "{err}");
    assert_model_error(err, &tmp.path().join("1_Pooling/config.json"));
}

#[test]
fn identity_changes_with_the_tokenizer() {
    let Some(m) = model() else { return };
    let tok = std::fs::read_to_string(Path::new(MODEL_DIR).join("tokenizer.json")).unwrap();
    let Some(tmp) = model_copy_with("tokenizer.json", &tok.replacen("[UNK]", "[UNK2]", 1)) else {
        return;
    };
    let other = model_identity(tmp.path()).unwrap();
    let own = m.model_id().rsplit('/').next().unwrap();
    assert!(!other.ends_with(own), "{other} vs {}", m.model_id());
}
