//! The words shown when triage acts: emergency guidance and refusal reasons.
//!
//! Emergency guidance is generic first aid for the situation (stop, get clear, call emergency
//! services, isolate energy) tailored to its type; it is not from the manuals and says so only
//! implicitly by coming first — the pipeline adds the cited manual procedure below it. A refusal
//! says *why* and points to the safe alternative, because "no" alone sends the technician to
//! find a worse answer elsewhere.

/// Immediate guidance for an emergency trigger. `text` is the question part (used to tailor
/// the guidance, e.g. for an MRI room).
pub(crate) fn emergency(kind: &str, text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mri = ["mri", "magnet", "scanner", "scan room", "bore"]
        .iter()
        .any(|w| lower.contains(w));
    let mut msg = String::from("EMERGENCY — act first, read later. ");
    msg.push_str(match kind {
        "emergency_fire" => {
            "Stop the equipment or vehicle if you can do so safely and get everyone clear. Call emergency services (911/112/local) now. \
             Isolate energy only if you can reach the shut-off safely: power at the disconnect or breaker, fuel or gas at its valve. \
             Use an extinguisher only if you are trained, the fire is small and you have a clear exit; on a vehicle, do not open the hood fully. \
             Do not re-enter or restart the equipment until it has been inspected."
        }
        "emergency_smoke" => {
            "Smoke from equipment means a possible fire. Stop the equipment if it is safe to do so and isolate power at the disconnect or breaker (fuel at its valve). \
             Get everyone clear of the smoke and call emergency services if there is flame, heavy smoke or the smoke keeps coming. \
             Do not open panels or restart the equipment until it has been inspected."
        }
        "emergency_gas_leak" => {
            "Possible gas or fuel leak with an ignition risk. Do not operate switches, start engines, use open flames or create sparks. \
             Get everyone out and away, leave doors open behind you, and call the gas utility or emergency services from a safe distance. \
             Shut off the supply at the meter, tank or fuel valve only if you can reach it safely. Do not return until it is declared safe."
        }
        "emergency_person_down" => {
            "Call emergency services now (911/112/local). Do not touch the person if they may still be in contact with electrical power: isolate the power first. \
             If it is safe, check breathing; start CPR if they are not breathing normally and use an AED if one is available. \
             Isolate and lock out the equipment involved and keep others clear until help arrives."
        }
        "emergency_person_injured" => {
            "Call emergency services now (911/112/local). Stop the machine with the emergency stop and isolate its energy (power, hydraulics, stored pressure) before reaching in; \
             do not reverse or restart machinery to free someone unless trained responders direct it. \
             Control heavy bleeding with firm pressure, keep the injured person still and warm, and keep others clear."
        }
        "emergency_brake_failure_driving" => {
            "Brake failure while moving: stay calm and keep steering. Pump the brake pedal firmly; shift to a lower gear to use engine braking; \
             apply the parking brake gradually (not suddenly). Turn on the hazard lights, sound the horn and steer toward a safe run-off area or uphill slope. \
             Once stopped, call emergency services or roadside assistance and do not drive the vehicle again until it is repaired."
        }
        "emergency_steering_failure_driving" => {
            "Steering failure while moving: grip the wheel, ease off the accelerator and brake gently and steadily — do not brake hard. \
             Turn on the hazard lights and warn others with the horn. Once stopped, stay clear of traffic, call for help and do not drive the vehicle until it is repaired."
        }
        "emergency_stuck_accelerator" => {
            "Stuck accelerator: shift to neutral (or press the clutch) and brake firmly and steadily. Steer to a safe place and stop. \
             Turn the engine off only once stopped (do not remove the key while moving — the steering may lock). Turn on the hazard lights and call for help."
        }
        "emergency_runaway_engine" => {
            "Runaway engine: get people clear of the engine. Cut its air supply (air-intake shut-off, or block the intake with a flat non-flammable object, never your hand) or shut off the fuel supply. \
             Do not stand in front of the engine or turbocharger. Call emergency services if it cannot be stopped or if there is fire."
        }
        "emergency_carbon_monoxide" => {
            "Possible carbon monoxide exposure: get everyone out into fresh air now and call emergency services. Anyone with a headache, dizziness or nausea needs medical attention. \
             Do not go back in to ventilate or find the source; shut off fuel-burning equipment only if you can do so on the way out."
        }
        "emergency_mri_quench" => {
            "Magnet quench or oxygen alarm: get the patient and everyone out of the magnet room and away from the vent area now; keep the door open if you can. \
             Do not re-enter until the oxygen level is confirmed safe. Call the site emergency number and the MRI service provider."
        }
        "emergency_electrical_arcing" => {
            "Active electrical arcing: stay back — arc flash and fire risk. Isolate power at an upstream disconnect or breaker only if you can reach it safely. \
             Do not touch the equipment or anyone in contact with it. Call emergency services if there is fire, smoke or an injury."
        }
        _ => "Stop, get clear of the hazard, call emergency services, and isolate energy only if you can do so safely.",
    });
    if mri && kind != "emergency_mri_quench" {
        msg.push_str(
            " In an MRI suite: the magnet is always on — never take ferromagnetic equipment (oxygen cylinders, stretchers, tools) into the magnet room; \
             move the person out of the magnet room for treatment. Quench the magnet only if someone is pinned by a ferromagnetic object or there is a fire in the room.",
        );
    }
    msg.push_str(" Once everyone is safe, the manual's relevant procedure (if any) follows.");
    msg
}

/// Why a request is refused and what to do instead. `subject` names the device, fluid or
/// limit involved.
pub(crate) fn refusal(trigger: &str, subject: &str) -> String {
    match trigger {
        "unsafe_bypass_safety_device" => format!(
            "Refused: this asks how to bypass or disable a safety device ({subject}). It is there to stop injury or damage, and defeating it removes that protection. \
             If it keeps tripping, it is reporting a fault: troubleshoot the cause with the manual's diagnostic procedure and replace the device if it has failed. \
             For service work, follow the lockout/tagout procedure instead."
        ),
        "unsafe_exceed_limits" => format!(
            "Refused: this asks how to operate beyond {subject}. Ratings (pressure, load chart, capacity, speed) include the safety margin — exceeding them risks failure and injury. \
             Consult the manual's specifications for the rated limits, and use equipment rated for the job."
        ),
        "unsafe_falsify_reading" => format!(
            "Refused: this asks how to falsify {subject}. Recording readings, tests or inspections that were not taken hides real faults and is illegal in most jurisdictions. \
             Record the actual value; if it is out of specification, follow the manual's corrective procedure."
        ),
        "unsafe_emissions_defeat" => format!(
            "Refused: this asks how to remove or defeat {subject}, which is unlawful tampering in most jurisdictions. \
             Consult the manual's diagnostic procedure for the emissions fault instead."
        ),
        "unsafe_inspection_tamper" => format!(
            "Refused: this asks how to get past {subject} by hiding or faking the condition it checks (disabling or fooling a monitor, clearing codes, fitting a part only for the test). \
             That defeats the inspection's purpose and is unlawful tampering in most jurisdictions. \
             Find and fix the fault with the manual's diagnostic procedure; then complete the readiness or self-test the manual describes before the inspection."
        ),
        "unsafe_defeat_monitor" => format!(
            "Refused: this asks how to defeat or silence a warning, monitor or sensor ({subject}). It reports a real condition, and hiding it leaves the hazard in place. \
             Troubleshoot what it reports with the manual's diagnostic procedure, replace the sensor if it has failed, and reset the warning only after the repair."
        ),
        "unsafe_unapproved_substitution" => format!(
            "Refused: this substitutes something the manual does not allow; use {subject}. The wrong fluid, fuse or part can cause failure, fire or loss of control. \
             Consult the manual's specifications (fluids and capacities, fuse ratings, parts list) for what is approved."
        ),
        "unsafe_skip_lockout" => format!(
            "Refused: this asks to work on equipment that is energised, running or under pressure ({subject} skipped). \
             Follow the lockout/tagout procedure: shut down, isolate and lock every energy source, release stored energy, and verify zero energy before starting."
        ),
        "unsafe_work_under_load" => format!(
            "Refused: working under a load that is held only by a jack, forks or hydraulics is how people get crushed ({subject}). \
             Lower the load, or support it with rated stands, blocking or the mechanical safety supports the manual specifies before going under it."
        ),
        "unsafe_ferromagnetic_mri" => format!(
            "Refused: ferromagnetic objects are pulled into the magnet with lethal force ({subject}). \
             Only MR Safe or MR Conditional equipment, screened and labelled, may enter the magnet room; follow the site's MRI safety screening procedure."
        ),
        _ => format!("Refused: this request is unsafe ({subject}). Consult the manual's safe procedure."),
    }
}
