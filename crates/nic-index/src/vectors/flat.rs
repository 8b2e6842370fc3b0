//! Flat tiers: an exact scan of every vector, in f32, f16 or int8, with the top candidates
//! of the f16 and int8 scans rescored from the f32 rows.
//!
//! Why: at 384 dims an int8 vector is 388 bytes with its scale, so 100K chunks scan in a few
//! milliseconds per core with recall@10 ≈ 0.98 before rescoring; rescoring the top
//! `max(50, 5k)` candidates from f32 restores the exact ranking and exact cosines.

use super::kernels::{dot_f32, dot_i8};
use super::rows::{header, map_checked, HEADER};
use super::{normalized, quantize, rescore, rescore_pool, F32Rows, Scalar, TopK, VectorKind};
use super::{Layout, F16_FILE, I8_FILE};
use crate::error::IndexError;
use half::slice::HalfFloatSliceExt;
use nic_core::ScoredOrdinal;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

const I8_MAGIC: &[u8; 8] = b"NICVEC8\0";
const F16_MAGIC: &[u8; 8] = b"NICVEC16";

/// What the scan reads.
enum Scan {
    /// The f32 rows themselves: exact, no rescoring.
    F32,
    /// `vectors.f16`.
    F16(memmap2::Mmap),
    /// `vectors.i8`: rows, then one f32 scale per row.
    I8(memmap2::Mmap),
}

pub struct FlatIndex {
    rows: F32Rows,
    scan: Scan,
}

fn check_same_shape(
    path: &Path,
    rows: &F32Rows,
    dim: usize,
    count: usize,
) -> Result<(), IndexError> {
    if dim != rows.dim() || count != rows.len() {
        return Err(IndexError::corrupt(
            path,
            format!(
                "header says {count}×{dim}, vectors.f32 holds {}×{}",
                rows.len(),
                rows.dim()
            ),
        ));
    }
    Ok(())
}

impl FlatIndex {
    pub fn open(dir: &Path, scalar: Scalar, rows: F32Rows) -> Result<Self, IndexError> {
        let scan = match scalar {
            Scalar::F32 => Scan::F32,
            Scalar::F16 => {
                let path = dir.join(F16_FILE);
                let (map, dim, count) = map_checked(&path, F16_MAGIC, 2, 0)?;
                check_same_shape(&path, &rows, dim, count)?;
                if (map.as_ptr() as usize + HEADER) % 2 != 0 {
                    return Err(IndexError::corrupt(&path, "mapping is not 2-byte aligned"));
                }
                Scan::F16(map)
            }
            Scalar::I8 => {
                let path = dir.join(I8_FILE);
                let (map, dim, count) = map_checked(&path, I8_MAGIC, 1, 4)?;
                check_same_shape(&path, &rows, dim, count)?;
                Scan::I8(map)
            }
        };
        Ok(Self { rows, scan })
    }

    pub fn kind(&self) -> VectorKind {
        let scalar = match self.scan {
            Scan::F32 => Scalar::F32,
            Scan::F16(_) => Scalar::F16,
            Scan::I8(_) => Scalar::I8,
        };
        VectorKind::new(Layout::Flat, scalar)
    }

    pub fn rows(&self) -> &F32Rows {
        &self.rows
    }

    pub fn mapped_bytes(&self) -> u64 {
        self.rows.mapped_bytes()
            + match &self.scan {
                Scan::F32 => 0,
                Scan::F16(m) | Scan::I8(m) => m.len() as u64,
            }
    }

    fn i8_row(map: &[u8], dim: usize, o: usize) -> &[i8] {
        let start = HEADER + o * dim;
        let bytes = &map[start..start + dim];
        // SAFETY: i8 and u8 have the same size and alignment; every bit pattern is valid.
        unsafe { &*(bytes as *const [u8] as *const [i8]) }
    }

    fn i8_scale(map: &[u8], dim: usize, count: usize, o: usize) -> f32 {
        let start = HEADER + count * dim + o * 4;
        let mut b = [0u8; 4];
        b.copy_from_slice(&map[start..start + 4]);
        f32::from_le_bytes(b)
    }

    fn f16_row(map: &[u8], dim: usize, o: usize) -> &[half::f16] {
        let start = HEADER + o * dim * 2;
        // SAFETY: 2-byte alignment checked at open; every bit pattern is a valid f16.
        let (pre, row, _) = unsafe { map[start..start + dim * 2].align_to::<half::f16>() };
        debug_assert!(pre.is_empty());
        row
    }
}

impl nic_core::VectorIndex for FlatIndex {
    fn dim(&self) -> usize {
        self.rows.dim()
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn search(
        &self,
        query: &[f32],
        k: usize,
        filter: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<ScoredOrdinal> {
        let (dim, count) = (self.rows.dim(), self.rows.len());
        if query.len() != dim || k == 0 || count == 0 {
            return Vec::new();
        }
        let q = normalized(query);
        let skip = |o: usize| filter.is_some_and(|f| !f(o as u32));
        match &self.scan {
            Scan::F32 => self.rows.exact_top_filtered(&q, k, filter),
            Scan::F16(map) => {
                let mut top = TopK::new(rescore_pool(k, count));
                let mut buf = vec![0f32; dim];
                for o in 0..count {
                    if skip(o) {
                        continue;
                    }
                    Self::f16_row(map, dim, o).convert_to_f32_slice(&mut buf);
                    top.push(dot_f32(&buf, &q), o as u32);
                }
                rescore(&self.rows, &q, top.ordinals(), k)
            }
            Scan::I8(map) => {
                let (qi, qs) = quantize(&q);
                let mut top = TopK::new(rescore_pool(k, count));
                for o in 0..count {
                    if skip(o) {
                        continue;
                    }
                    let s = dot_i8(&qi, Self::i8_row(map, dim, o)) as f32
                        * qs
                        * Self::i8_scale(map, dim, count, o);
                    top.push(s, o as u32);
                }
                rescore(&self.rows, &q, top.ordinals(), k)
            }
        }
    }

    fn vector(&self, ordinal: u32) -> Option<Vec<f32>> {
        self.rows.get(ordinal)
    }
}

/// Writes the header and every row of `path` converted by `row_bytes`; returns the open
/// writer so the caller can append a trailer before [`finish_file`].
fn write_rows(
    path: &Path,
    magic: &[u8; 8],
    rows: &F32Rows,
    mut row_bytes: impl FnMut(&[f32], &mut Vec<u8>),
) -> Result<BufWriter<File>, IndexError> {
    let mut out = BufWriter::new(File::create(path).map_err(IndexError::io(path))?);
    out.write_all(&header(magic, rows.dim(), rows.len() as u64))
        .map_err(IndexError::io(path))?;
    let mut buf = Vec::new();
    for o in 0..rows.len() {
        buf.clear();
        row_bytes(rows.row(o), &mut buf);
        out.write_all(&buf).map_err(IndexError::io(path))?;
    }
    Ok(out)
}

fn finish_file(path: &Path, mut out: BufWriter<File>) -> Result<(), IndexError> {
    out.flush().map_err(IndexError::io(path))?;
    out.get_mut().sync_all().map_err(IndexError::io(path))
}

/// Writes `vectors.f16` from the f32 rows.
pub(crate) fn write_f16(path: &Path, rows: &F32Rows) -> Result<(), IndexError> {
    let out = write_rows(path, F16_MAGIC, rows, |row, buf| {
        for x in row {
            buf.extend_from_slice(&half::f16::from_f32(*x).to_le_bytes());
        }
    })?;
    finish_file(path, out)
}

/// Writes `vectors.i8` (rows, then the scales) from the f32 rows.
pub(crate) fn write_i8(path: &Path, rows: &F32Rows) -> Result<(), IndexError> {
    let mut scales: Vec<f32> = Vec::with_capacity(rows.len());
    let mut out = write_rows(path, I8_MAGIC, rows, |row, buf| {
        let (q, scale) = quantize(row);
        buf.extend(q.iter().map(|&x| x as u8));
        scales.push(scale);
    })?;
    let mut bytes = Vec::with_capacity(scales.len() * 4);
    for s in &scales {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    out.write_all(&bytes).map_err(IndexError::io(path))?;
    finish_file(path, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::F32_FILE;
    use nic_core::VectorIndex;
    use rand::{Rng, SeedableRng};

    fn random_unit(rng: &mut impl Rng, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
        normalized(&v)
    }

    fn write(dir: &Path, vs: &[Vec<f32>]) {
        let mut w = super::super::F32Writer::create(dir, vs[0].len()).unwrap();
        for v in vs {
            w.push(v).unwrap();
        }
        w.finish().unwrap();
        let rows = F32Rows::open(&dir.join(F32_FILE)).unwrap();
        write_i8(&dir.join(I8_FILE), &rows).unwrap();
        write_f16(&dir.join(F16_FILE), &rows).unwrap();
    }

    fn open(dir: &Path, scalar: Scalar) -> Result<FlatIndex, IndexError> {
        let rows = F32Rows::open(&dir.join(F32_FILE))?;
        FlatIndex::open(dir, scalar, rows)
    }

    fn build(dir: &Path, vs: &[Vec<f32>]) -> FlatIndex {
        write(dir, vs);
        open(dir, Scalar::I8).unwrap()
    }

    #[test]
    fn every_flat_scan_with_rescoring_matches_exact_top10() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let dim = 384;
        let vs: Vec<Vec<f32>> = (0..2000).map(|_| random_unit(&mut rng, dim)).collect();
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &vs);
        for scalar in [Scalar::F32, Scalar::F16, Scalar::I8] {
            let idx = open(dir.path(), scalar).unwrap();
            assert_eq!(idx.len(), 2000);
            assert_eq!(idx.kind(), VectorKind::new(Layout::Flat, scalar));
            for _ in 0..20 {
                let q = random_unit(&mut rng, dim);
                let mut exact: Vec<(f32, u32)> = vs
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.iter().zip(&q).map(|(a, b)| a * b).sum(), i as u32))
                    .collect();
                exact.sort_by(|a, b| b.0.total_cmp(&a.0));
                let want: Vec<u32> = exact[..10].iter().map(|x| x.1).collect();
                let got: Vec<u32> = idx.search(&q, 10, None).iter().map(|s| s.ordinal).collect();
                assert_eq!(got, want, "{scalar:?}");
            }
        }
    }

    #[test]
    fn filter_and_vector_roundtrip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let vs: Vec<Vec<f32>> = (0..100).map(|_| random_unit(&mut rng, 16)).collect();
        let dir = tempfile::tempdir().unwrap();
        let idx = build(dir.path(), &vs);
        let even = |o: u32| o % 2 == 0;
        let hits = idx.search(&vs[3], 5, Some(&even));
        assert!(hits.iter().all(|h| h.ordinal % 2 == 0));
        let top = idx.search(&vs[3], 1, None);
        assert_eq!(top[0].ordinal, 3);
        assert!((top[0].score - 1.0).abs() < 1e-5);
        let back = idx.vector(3).unwrap();
        assert!(back.iter().zip(&vs[3]).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(idx.vector(100).is_none());
        assert!(idx.search(&[1.0; 3], 5, None).is_empty(), "wrong dim");
    }

    #[test]
    fn truncated_files_are_clear_errors() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let vs: Vec<Vec<f32>> = (0..10).map(|_| random_unit(&mut rng, 8)).collect();
        let dir = tempfile::tempdir().unwrap();
        drop(build(dir.path(), &vs));
        let p = dir.path().join(F32_FILE);
        let len = std::fs::metadata(&p).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(len - 7)
            .unwrap();
        let err = open(dir.path(), Scalar::F32).err().unwrap();
        assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        drop(build(dir.path(), &vs));
        std::fs::write(dir.path().join(I8_FILE), b"short").unwrap();
        let err = open(dir.path(), Scalar::I8).err().unwrap();
        assert!(err.to_string().contains("truncated"), "{err}");
        let f16 = dir.path().join(F16_FILE);
        let len = std::fs::metadata(&f16).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&f16)
            .unwrap()
            .set_len(len + 2)
            .unwrap();
        let err = open(dir.path(), Scalar::F16).err().unwrap();
        assert!(err.to_string().contains("damaged"), "{err}");
    }
}
