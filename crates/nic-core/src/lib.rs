//! The shared vocabulary of NIC.
//!
//! Every stage of the pipeline (ingest → index → retrieve → answer → serve) speaks in the
//! types defined here, and the seams between stages are the traits in [`traits`]. Keeping
//! them in one small crate means data flows one way: a stage depends on `nic-core` and on
//! the stages before it, never on the ones after it.

pub mod config;
pub mod doc;
pub mod text;
pub mod traits;
pub mod types;

pub use config::{ConfigError, NicConfig};
pub use doc::{
    Admonition, Block, BlockKind, DocMeta, DocTree, HeadingSource, Item, Section, StructureCounts,
    Table,
};
pub use traits::{EmbedError, Embedder, LexicalIndex, VectorIndex};
pub use types::*;

/// Version of the NIC build, shown by `nic --version`, `/health` and `/api/status`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
