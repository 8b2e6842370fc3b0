//! Every fuzz target, a fixed number of inputs from a fixed seed and the built-in seeds
//! only: no panic, no hang. Quick (the real campaigns are `nic bench fuzz` / `make fuzz`).

use nic_fuzz::{all_targets, run_target, Options};

const INPUTS: u64 = 300;
const SEED: u64 = 0x5eed_f022;

#[test]
fn every_target_survives_a_short_run() {
    let mut failed = Vec::new();
    for t in all_targets() {
        let mut o = Options::new(SEED);
        o.max_inputs = Some(INPUTS);
        let r = run_target(t, &o);
        eprintln!(
            "{:<13} {:>4} inputs in {:>5.2} s: accepted {}, rejected {}, contained {}, panics {}, hangs {}",
            r.target, r.inputs, r.seconds, r.accepted, r.rejected, r.contained, r.panics, r.hangs
        );
        assert!(r.accepted > 0, "{}: no input got through: {r:?}", t.name);
        if r.failures() > 0 || r.inputs != INPUTS {
            failed.push(format!(
                "{}: {:?} {:?}",
                t.name, r.signatures, r.stopped_early
            ));
        }
    }
    assert!(failed.is_empty(), "failures: {failed:#?}");
}
