//! The exact f32 rows every generation keeps (`vectors.f32`), their streaming writer, and the
//! header shared by NIC's own vector files.

use super::kernels::dot_f32;
use super::TopK;
use crate::error::IndexError;
use nic_core::ScoredOrdinal;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[cfg(target_endian = "big")]
compile_error!("NIC's vector files are little endian and mapped as is");

pub(crate) const HEADER: usize = 32;
pub(crate) const VERSION: u32 = 1;
pub(crate) const F32_MAGIC: &[u8; 8] = b"NICVEC32";

pub(crate) fn header(magic: &[u8; 8], dim: usize, count: u64) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..8].copy_from_slice(magic);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(dim as u32).to_le_bytes());
    h[16..24].copy_from_slice(&count.to_le_bytes());
    h
}

/// Quantises a vector to i8 with one scale: `x ≈ q * scale`, `scale = max|x| / 127`.
pub fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return (vec![0; v.len()], 0.0);
    }
    let scale = max / 127.0;
    let q = v
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scale)
}

/// `v / ‖v‖`, or zeros for a zero or non-finite vector.
pub fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// Maps a file read-only and checks its header and its exact size
/// (`HEADER + count * bytes_per_row + trailer_per_row * count`); returns (map, dim, count).
pub(crate) fn map_checked(
    path: &Path,
    magic: &[u8; 8],
    bytes_per_scalar: usize,
    trailer_per_row: usize,
) -> Result<(memmap2::Mmap, usize, usize), IndexError> {
    let file = File::open(path).map_err(IndexError::io(path))?;
    // SAFETY: generation files are immutable once published (written in a .tmp directory
    // and renamed); nothing truncates or rewrites them while they are mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(IndexError::io(path))?;
    if map.len() < HEADER {
        return Err(IndexError::corrupt(
            path,
            "shorter than its header (truncated)",
        ));
    }
    if &map[..8] != magic {
        return Err(IndexError::corrupt(
            path,
            "not a NIC vector file of this kind (bad magic)",
        ));
    }
    let word = |r: std::ops::Range<usize>| {
        let mut b = [0u8; 8];
        b[..r.len()].copy_from_slice(&map[r]);
        u64::from_le_bytes(b)
    };
    let version = word(8..12) as u32;
    if version != VERSION {
        return Err(IndexError::corrupt(
            path,
            format!("vector file version {version}, this build reads {VERSION}"),
        ));
    }
    let dim = word(12..16) as usize;
    if dim == 0 {
        return Err(IndexError::corrupt(path, "dimension 0 in header"));
    }
    let count = usize::try_from(word(16..24))
        .map_err(|_| IndexError::corrupt(path, "vector count in header is too large"))?;
    let want = dim
        .checked_mul(bytes_per_scalar)
        .and_then(|row| row.checked_add(trailer_per_row))
        .and_then(|row| row.checked_mul(count))
        .and_then(|n| n.checked_add(HEADER));
    if want != Some(map.len()) {
        return Err(IndexError::corrupt(
            path,
            format!(
                "{} bytes on disk, header implies {} ({count} vectors × {dim} dims): truncated or damaged",
                map.len(),
                want.map_or("overflow".into(), |n| n.to_string())
            ),
        ));
    }
    Ok((map, dim, count))
}

/// Streams unit vectors into `vectors.f32`; nothing but a counter is held in memory.
pub(crate) struct F32Writer {
    path: PathBuf,
    out: BufWriter<File>,
    dim: usize,
    count: u64,
}

impl F32Writer {
    pub fn create(dir: &Path, dim: usize) -> Result<Self, IndexError> {
        let path = dir.join(super::F32_FILE);
        let mut out = BufWriter::new(File::create(&path).map_err(IndexError::io(&path))?);
        out.write_all(&header(F32_MAGIC, dim, 0))
            .map_err(IndexError::io(&path))?;
        Ok(Self {
            path,
            out,
            dim,
            count: 0,
        })
    }

    /// Appends one vector (L2-normalised here, so scores are cosines).
    pub fn push(&mut self, v: &[f32]) -> Result<(), IndexError> {
        if v.len() != self.dim {
            return Err(IndexError::corrupt(
                &self.path,
                format!("vector of {} dims, expected {}", v.len(), self.dim),
            ));
        }
        let mut bytes = Vec::with_capacity(v.len() * 4);
        for x in normalized(v) {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        self.out
            .write_all(&bytes)
            .map_err(IndexError::io(&self.path))?;
        self.count += 1;
        Ok(())
    }

    /// Writes the final header and fsyncs.
    pub fn finish(mut self) -> Result<u64, IndexError> {
        let io = |e| IndexError::Io {
            path: self.path.clone(),
            source: e,
        };
        self.out.flush().map_err(io)?;
        let f = self.out.get_mut();
        f.seek(SeekFrom::Start(0)).map_err(io)?;
        f.write_all(&header(F32_MAGIC, self.dim, self.count))
            .map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(self.count)
    }
}

/// Memory-mapped `vectors.f32`.
pub struct F32Rows {
    map: memmap2::Mmap,
    dim: usize,
    count: usize,
}

impl F32Rows {
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let (map, dim, count) = map_checked(path, F32_MAGIC, 4, 0)?;
        // Page-aligned map + 32-byte header: every row is 4-byte aligned (checked anyway).
        if (map.as_ptr() as usize + HEADER) % std::mem::align_of::<f32>() != 0 {
            return Err(IndexError::corrupt(path, "mapping is not 4-byte aligned"));
        }
        Ok(Self { map, dim, count })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn mapped_bytes(&self) -> u64 {
        self.map.len() as u64
    }

    /// Row `o` (caller checks `o < len`).
    #[inline]
    /// An owned copy of row `ordinal`, or `None` past the end (the `VectorIndex::vector`
    /// of every tier).
    pub fn get(&self, ordinal: u32) -> Option<Vec<f32>> {
        let o = ordinal as usize;
        (o < self.len()).then(|| self.row(o).to_vec())
    }

    pub fn row(&self, o: usize) -> &[f32] {
        let start = HEADER + o * self.dim * 4;
        let bytes = &self.map[start..start + self.dim * 4];
        // SAFETY: alignment was checked at open, the length is a multiple of 4 and every
        // bit pattern is a valid f32.
        let (pre, row, post) = unsafe { bytes.align_to::<f32>() };
        debug_assert!(pre.is_empty() && post.is_empty());
        row
    }

    #[inline]
    pub fn dot(&self, o: usize, q: &[f32]) -> f32 {
        dot_f32(self.row(o), q)
    }

    /// Exact top `k` by cosine (`q` must be a unit vector), optionally filtered.
    pub fn exact_top_filtered(
        &self,
        q: &[f32],
        k: usize,
        filter: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<ScoredOrdinal> {
        if q.len() != self.dim || k == 0 {
            return Vec::new();
        }
        let mut top = TopK::new(k.min(self.count));
        for o in 0..self.count {
            if filter.is_some_and(|f| !f(o as u32)) {
                continue;
            }
            top.push(self.dot(o, q), o as u32);
        }
        top.into_sorted()
    }

    /// Exact top `k` of a query (normalised here).
    pub fn exact_top(&self, query: &[f32], k: usize) -> Vec<ScoredOrdinal> {
        self.exact_top_filtered(&normalized(query), k, None)
    }
}
