//! `VectorKind`: the name of a vector tier (`flat-i8`, `hnsw-f16`, ...), as written in the
//! manifest, accepted by `nic index convert` and by `NOVA_VECTOR_INDEX`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How candidates are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Exact scan of every vector.
    Flat,
    /// usearch HNSW graph.
    Hnsw,
}

/// Scalar type of the vectors the search structure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scalar {
    F32,
    F16,
    I8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VectorKind {
    pub layout: Layout,
    pub scalar: Scalar,
}

impl VectorKind {
    pub const fn new(layout: Layout, scalar: Scalar) -> Self {
        Self { layout, scalar }
    }

    /// Bytes per vector of the search structure's own copy (0 for `flat-f32`, which scans
    /// the f32 rows themselves); HNSW adds its graph on top.
    pub fn structure_bytes_per_vector(&self, dim: usize) -> usize {
        match (self.layout, self.scalar) {
            (Layout::Flat, Scalar::F32) => 0,
            (_, Scalar::F32) => dim * 4,
            (_, Scalar::F16) => dim * 2,
            (_, Scalar::I8) => dim + 4,
        }
    }
}

impl Layout {
    pub fn as_str(&self) -> &'static str {
        match self {
            Layout::Flat => "flat",
            Layout::Hnsw => "hnsw",
        }
    }
}

impl Scalar {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::F16 => "f16",
            Scalar::I8 => "i8",
        }
    }
}

impl FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flat" => Ok(Layout::Flat),
            "hnsw" => Ok(Layout::Hnsw),
            other => Err(format!("unknown vector layout {other:?} (flat or hnsw)")),
        }
    }
}

impl FromStr for Scalar {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" => Ok(Scalar::F32),
            "f16" => Ok(Scalar::F16),
            "i8" | "int8" => Ok(Scalar::I8),
            other => Err(format!("unknown scalar type {other:?} (f32, f16 or i8)")),
        }
    }
}

impl FromStr for VectorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (layout, scalar) = s
            .split_once('-')
            .ok_or_else(|| format!("vector kind {s:?} is not <flat|hnsw>-<f32|f16|i8>"))?;
        Ok(Self::new(layout.parse()?, scalar.parse()?))
    }
}

impl fmt::Display for VectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.layout.as_str(), self.scalar.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_reject_nonsense() {
        for s in [
            "flat-f32", "flat-f16", "flat-i8", "hnsw-f32", "hnsw-f16", "hnsw-i8",
        ] {
            let k: VectorKind = s.parse().unwrap();
            assert_eq!(k.to_string(), s);
        }
        assert_eq!(
            "HNSW-int8".parse::<VectorKind>().unwrap().to_string(),
            "hnsw-i8"
        );
        for bad in ["", "flat", "ivf-f32", "flat-f64", "-", "flat-i8-x"] {
            assert!(bad.parse::<VectorKind>().is_err(), "{bad}");
        }
    }
}
