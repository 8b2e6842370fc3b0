//! Exported audit lines must re-verify on their own whatever floats a record holds. Timings
//! such as `0.00014000000000000001` ms (17 significant digits, the shortest text that gives
//! back the same f64) were exported as `0.00014` because the export re-reads each body and
//! serde_json's default float parser is not correctly rounded; the exported line then no
//! longer hashed to its `hash` (found by the kill campaign, `nic bench kill`).

use nic_audit::record::{canonical_json, chain_hash};
use nic_audit::{AuditCitation, AuditLog, AuditRecord};
use nic_core::config::AuditQuestions;

fn rec(i: u64, timings_ms: serde_json::Value) -> AuditRecord {
    AuditRecord {
        time_unix_ms: 1_714_521_600_000 + i,
        request_id: format!("req-{i}"),
        session_id: None,
        client: "127.0.0.1".into(),
        question: "How do I check the brake pads?".into(),
        status: "answered".into(),
        mode: "extractive".into(),
        risk_level: "none".into(),
        triggers: vec![],
        confidence: 0.988,
        citations: vec![AuditCitation {
            doc: "vehicle/brakes.txt".into(),
            page: 1,
            section: "Brake Pad Inspection".into(),
            chunk_id: format!("c{i}"),
        }],
        model: None,
        timings_ms,
        error_code: None,
    }
}

#[test]
fn exported_lines_re_verify_whatever_floats_the_timings_hold() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), AuditQuestions::Text, None).unwrap();
    // The value the campaign hit, then a spread of measured-looking durations.
    let mut floats = vec![0.000_140_000_000_000_000_01_f64, 1.050_753_000_000_014_5];
    floats.extend((1..400).map(|k| k as f64 * 1e-7 * 3.3));
    floats.extend((1..400).map(|k| (k as f64).sqrt() * 211.379_507));
    for (i, f) in floats.iter().enumerate() {
        let t = serde_json::json!({"embed": f, "retrieve": f * 3.0, "total": f + 9.7});
        log.append(&rec(i as u64 + 1, t)).unwrap();
    }
    assert!(log.verify().unwrap().ok());
    let mut out = Vec::new();
    assert_eq!(log.export_since(0, &mut out).unwrap(), floats.len());
    let text = String::from_utf8(out).unwrap();
    for line in text.lines() {
        let mut body: serde_json::Value = serde_json::from_str(line).unwrap();
        let obj = body.as_object_mut().unwrap();
        let seq = obj.remove("seq").unwrap().as_u64().unwrap();
        let prev = obj.remove("prev_hash").unwrap();
        let hash = obj.remove("hash").unwrap();
        let canon = canonical_json(&body).unwrap();
        assert_eq!(
            chain_hash(prev.as_str().unwrap(), &canon, seq),
            hash.as_str().unwrap(),
            "exported seq {seq} does not re-verify: {line}"
        );
    }
}
