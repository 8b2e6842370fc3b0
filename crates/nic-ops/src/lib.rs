//! Operating NIC for months on a small box: the pieces behind `/health`, `/metrics`,
//! `/debug/memory`, `nic monitor`, `nic diagnose` and `nic index stats`.
//!
//! This crate is plain Rust with no HTTP framework: the server and the CLI call into it.
//!
//! - [`memory`]: what the process uses against which budget ([`MemorySnapshot`]), cached for
//!   hot paths ([`MemoryMonitor`]).
//! - [`jemalloc`]: allocator statistics and purging; [`install_jemalloc!`] for the binary.
//! - [`metrics`]: a small Prometheus registry and [`NicMetrics`] with every DESIGN §5 metric.
//! - [`sampler`]: `nic monitor` samples, lines, the SVG memory plot and PNG line charts.
//! - [`diagnose`]: the `nic diagnose` escalation report.
//! - [`residency`]: how much of a mapped file is resident (`mincore`).

pub mod diagnose;
pub mod error;
pub mod jemalloc;
pub mod memory;
pub mod metrics;
pub mod residency;
pub mod sampler;

pub use diagnose::{diagnose_report, mask_secrets, DiagnoseInput};
pub use error::OpsError;
pub use jemalloc::{allocator_stats, purge, AllocatorStats};
pub use memory::{
    CgroupMemory, LimitSource, MemoryMonitor, MemorySnapshot, ProcessMemory, Status, Thresholds,
};
pub use metrics::{NicMetrics, Phase, Registry};
pub use residency::{resident_bytes, FileResidency};
pub use sampler::{
    monitor_header, monitor_line, render_png_plot, render_svg_plot, Sample, Sampler, Source,
};
