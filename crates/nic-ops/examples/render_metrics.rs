//! Prints a sample `/metrics` body: `cargo run -p nic-ops --example render_metrics | promtool check metrics`.

nic_ops::install_jemalloc!();

fn main() {
    let m = nic_ops::NicMetrics::new();
    m.set_version(env!("CARGO_PKG_VERSION"));
    m.register_cache("embedding");
    m.observe_phase(nic_ops::Phase::Total, std::time::Duration::from_millis(15));
    let snap = nic_ops::MemorySnapshot::read(None);
    print!("{}", m.render(Some(&snap)));
}
