//! What one audit record holds, how it is written down and how it is hashed.
//!
//! Two shapes exist on purpose. [`AuditRecord`] is what the server hands over: the question as
//! the user typed it. [`StoredEntry`] is what reaches the disk: the question already reduced
//! according to `NOVA_AUDIT_QUESTIONS` (text, salted hash or nothing), so a redacting
//! deployment never has the text in the file, not even transiently in a column.
//!
//! The chain hash covers the *canonical JSON* of the stored entry — object keys sorted,
//! no whitespace, numbers as serde_json prints them — so anyone can re-verify a log (or an
//! export) with a few lines in any language:
//! `hash = sha256_hex(prev_hash + "\n" + canonical_json + "\n" + seq)`, where `prev_hash` of
//! the first record is [`GENESIS_HASH`].

use nic_core::config::AuditQuestions;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `prev_hash` of the very first record of a log.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One `/api/ask` that reached the pipeline, as the server reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub time_unix_ms: u64,
    pub request_id: String,
    pub session_id: Option<String>,
    /// Who asked: the peer address or a client label.
    pub client: String,
    /// The question as given; the log stores it per `NOVA_AUDIT_QUESTIONS`.
    pub question: String,
    /// `answered|abstained|refused|emergency|error`.
    pub status: String,
    pub mode: String,
    pub risk_level: String,
    pub triggers: Vec<String>,
    pub confidence: f32,
    pub citations: Vec<AuditCitation>,
    pub model: Option<String>,
    /// Stage timings, e.g. `{"retrieve": 12, "generate": 840, "total": 861}`.
    pub timings_ms: Value,
    pub error_code: Option<String>,
}

/// One citation of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCitation {
    pub doc: String,
    pub page: u32,
    pub section: String,
    pub chunk_id: String,
}

/// The hashed body of a stored record: an [`AuditRecord`] with the question reduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEntry {
    pub time_unix_ms: u64,
    pub request_id: String,
    pub session_id: Option<String>,
    pub client: String,
    /// How the question was stored: `text`, `hash` or `none`.
    pub question_mode: AuditQuestions,
    /// The question text (mode `text` only).
    pub question: Option<String>,
    /// `sha256_hex(salt + "\n" + question)` (mode `hash` only); see `AuditLog::question_hash`.
    pub question_sha256: Option<String>,
    pub status: String,
    pub mode: String,
    pub risk_level: String,
    pub triggers: Vec<String>,
    /// Rounded to 4 decimals so the JSON text round-trips exactly.
    pub confidence: f64,
    pub citations: Vec<AuditCitation>,
    pub model: Option<String>,
    pub timings_ms: Value,
    pub error_code: Option<String>,
}

/// A record as read back from the log: its place in the chain and its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub seq: u64,
    pub prev_hash: String,
    pub hash: String,
    #[serde(flatten)]
    pub entry: StoredEntry,
}

impl StoredEntry {
    /// Reduces `rec` for storage; `salt` is used only in mode `hash`.
    pub(crate) fn from_record(rec: &AuditRecord, mode: AuditQuestions, salt: &str) -> Self {
        let (question, question_sha256) = match mode {
            AuditQuestions::Text => (Some(rec.question.clone()), None),
            AuditQuestions::Hash => (None, Some(question_hash(salt, &rec.question))),
            AuditQuestions::None => (None, None),
        };
        let confidence = if rec.confidence.is_finite() {
            (f64::from(rec.confidence) * 10_000.0).round() / 10_000.0
        } else {
            0.0
        };
        Self {
            time_unix_ms: rec.time_unix_ms,
            request_id: rec.request_id.clone(),
            session_id: rec.session_id.clone(),
            client: rec.client.clone(),
            question_mode: mode,
            question,
            question_sha256,
            status: rec.status.clone(),
            mode: rec.mode.clone(),
            risk_level: rec.risk_level.clone(),
            triggers: rec.triggers.clone(),
            confidence,
            citations: rec.citations.clone(),
            model: rec.model.clone(),
            timings_ms: rec.timings_ms.clone(),
            error_code: rec.error_code.clone(),
        }
    }
}

/// The salted question hash: `sha256_hex(salt + "\n" + question)`.
pub fn question_hash(salt: &str, question: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\n");
    h.update(question.as_bytes());
    hex::encode(h.finalize())
}

/// The chain hash of record `seq`: `sha256_hex(prev_hash + "\n" + body + "\n" + seq)`.
pub fn chain_hash(prev_hash: &str, body: &str, seq: u64) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    h.update(b"\n");
    h.update(seq.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Canonical JSON of any serialisable value: object keys sorted (by their UTF-8 bytes),
/// no insignificant whitespace. Independent of serde_json's `preserve_order` feature.
pub fn canonical_json<T: Serialize>(v: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(v)?;
    let mut out = String::new();
    write_canonical(&value, &mut out)?;
    Ok(out)
}

fn write_canonical(v: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k)?);
                out.push(':');
                if let Some(child) = map.get(k) {
                    write_canonical(child, out)?;
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": null}});
        assert_eq!(
            canonical_json(&v).unwrap(),
            r#"{"a":{"c":null,"z":[1,{"x":3,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn chain_hash_depends_on_every_input() {
        let h = chain_hash(GENESIS_HASH, "{}", 1);
        assert_ne!(h, chain_hash(GENESIS_HASH, "{}", 2));
        assert_ne!(h, chain_hash(GENESIS_HASH, "{ }", 1));
        assert_ne!(h, chain_hash(&"1".repeat(64), "{}", 1));
        assert_eq!(h.len(), 64);
    }

    #[test]
    fn question_hash_is_salted() {
        assert_ne!(question_hash("a", "q"), question_hash("b", "q"));
        assert_eq!(question_hash("a", "q"), question_hash("a", "q"));
    }
}
