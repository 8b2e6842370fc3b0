//! Tampering: defeating a warning, monitor or sensor, and cheating an inspection or test.
//!
//! Two rules, each an *act* weighed against a *purpose* in the same part:
//!
//! * `unsafe_defeat_monitor` — an act of defeating (bypass, disable, spoof, fool, …) applied to
//!   a warning, alarm, monitor, sensor, fault or safety input; or a weaker act (silence, mute,
//!   unplug, turn off, mask, ignore, force, "make the light go out") that comes with an evasive
//!   purpose: permanently, without fixing, so the machine keeps running, so nobody sees it.
//!   "How do I reset the oil service reminder after an oil change?", "How do I test the oxygen
//!   monitor alarm?" and "Why does the brake warning light stay on?" carry no such act.
//! * `unsafe_inspection_tamper` — a deceptive act (disable, spoof, hide, clear the codes, a
//!   deleted DPF, a borrowed converter "just for the test", "without fixing it") whose purpose
//!   is passing an inspection, emissions or smog test or audit, or keeping a fault from an
//!   inspector; and fooling or cheating the inspector or test itself. "Which readiness
//!   monitors must be complete to pass the emissions test?" or "How do I check the O2 sensor
//!   monitor before the inspection?" name the purpose without a deceptive act.
//!
//! Both stand down for detection, consequence and legality frames ("how can an inspector tell
//! if …", "what happens if …", "will clearing the codes make it fail?"), and the monitor rule
//! for a documented test or a reset after the repair, unless an evasive purpose is stated too.

use super::Pat;
use regex::Regex;
use std::sync::LazyLock;

const DET: &str =
    r"(?:(?:the|a|an|my|this|that|these|those|its|their|our|your|all|any|his|her|each|every)\s+)?";

/// The head nouns of a warning, monitor or sensor, optionally followed by what it produces.
const MON_HEAD: &str = r"(?:warnings?|alarms?|alerts?|chimes?|buzzers?|beepers?|tell-?tales?|monitors?|monitoring|detectors?|sensors?|sensing)(?:\s+(?:lights?|lamps?|alarms?|signals?|circuits?|trips?|faults?|messages?|systems?|readings?|inputs?|outputs?|functions?|logs?))?";

/// Lights, codes, faults, logs and safety inputs that report a condition.
const MON_OTHER: &str = r"(?:warning|check\s+engine|service\s+engine(?:\s+soon)?|abs|airbag|air\s+bag|srs|tpms|tire\s+pressure|brake|oil(?:\s+pressure)?|temp(?:erature)?|coolant|overheat|battery|charging|seat\s*belt|malfunction|fault|overload|low\s+[\w-]+|high\s+[\w-]+)\s+(?:indicator\s+)?(?:lights?|lamps?|indicators?|messages?)|mil|malfunction\s+indicator(?:\s+lamp)?|(?:fault|trouble|diagnostic|error|alarm)\s+codes?|dtcs?|(?:[\w-]+\s+)?faults?|safety\s+(?:inputs?|signals?|outputs?)|(?:fault|event|lockout|alarm|impact|collision|trip)\s+(?:logs?|history|memory|records?|counters?)|readiness(?:\s+(?:status|monitors?))?|(?:load|overload|tilt|speed)\s+(?:indicators?|limiters?)";

/// Comfort and security devices whose warnings are not safety or compliance monitors.
static BENIGN_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:car|vehicle\s+security|security|anti-?theft|theft|burglar|intrusion|door\s+ajar|headlights?\s+on|lights?\s+on|key(?:\s+in)?|rain|dusk|twilight|ambient(?:\s+light)?|auto-?headlight|humidity|parking|lane(?:\s+departure)?|proximity|motion|low\s+fuel|washer\s+fluid|reminder)\s+(?:[\w-]+\s+)?(?:warnings?|alarms?|alerts?|chimes?|sensors?|detectors?|lights?|lamps?|indicators?|monitors?)\b|\b(?:service|maintenance|oil\s+change|filter(?:\s+change)?)\s+(?:due\s+)?(?:reminders?|lights?|indicators?|messages?)\b",
    )
});

/// Verbs that only defeat: applied to a warning, monitor or sensor they are enough.
const STRONG: &str = r"(?:make|program|set|configure|tell|get)\s+(?:the\s+)?(?:plc|controller|ecu|pcm|ecm|computer|software|logic|program|system|bms|panel|control\s+board|board|scanner|console|machine|truck|forklift)\s+(?:to\s+)?ignor(?:e|es|ing)|bypass(?:es|ed|ing)?|by-pass(?:es|ed|ing)?|defeat(?:s|ed|ing)?|disabl(?:e|es|ed|ing)|deactivat(?:e|es|ed|ing)|overrid(?:e|es|ing|den)|jumper(?:s|ed|ing)?|jump(?:s|ed|ing)?\s+out|short(?:s|ed|ing)?\s+out|tap(?:e|es|ed|ing)\s+over|cover(?:s|ed|ing)?\s+up|spoof(?:s|ed|ing)?|fool(?:s|ed|ing)?|trick(?:s|ed|ing)?|fak(?:e|es|ed|ing)|cheat(?:s|ed|ing)?|cod(?:e|ing)\s+out|tamper(?:s|ed|ing)?\s+with";

/// Verbs with ordinary uses (acknowledging an alarm, unplugging a sensor to replace it): they
/// count only with an evasive purpose.
const WEAK: &str = r"get(?:ting)?\s+rid\s+of|delet(?:e|es|ed|ing)|silenc(?:e|es|ed|ing)|mut(?:e|es|ed|ing)|suppress(?:es|ed|ing)?|mask(?:s|ed|ing)?|hid(?:e|es|ing)|conceal(?:s|ed|ing)?|ignor(?:e|es|ed|ing)|turn(?:s|ed|ing)?\s+off|switch(?:es|ed|ing)?\s+off|shut(?:s|ting)?\s+off|kill(?:s|ed|ing)?|unplug(?:s|ged|ging)?|disconnect(?:s|ed|ing)?|remov(?:e|es|ed|ing)|pull(?:s|ed|ing)?(?:\s+(?:out|off))?|cover(?:s|ed|ing)?|simulat(?:e|es|ed|ing)|forc(?:e|es|ed|ing)|block(?:s|ed|ing)?|cut(?:s|ting)?";

/// Words between the verb and the object that end the phrase (a new clause or a preposition).
static FILLER_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:and|or|then|but|to|so|before|after|while|on|at|in|with|without|from|for|of|is|are|was|if|when|near|next|by|behind|under|around)\b",
    )
});

struct Rule {
    pat: Pat,
    weak: bool,
}

static MONITOR_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let obj = format!(r"(?P<obj>(?:{MON_OTHER})|(?:[\w'/-]+\s+){{0,4}}?(?:{MON_HEAD}))");
    let mk = |verbs: &str, weak| Rule {
        pat: Pat::new(&format!(
            r"(?i)\b(?P<verb>{verbs})\s+{DET}(?P<fill>(?:[\w'-]+\s+){{0,3}}?){obj}\b"
        )),
        weak,
    };
    vec![
        mk(STRONG, false),
        mk(WEAK, true),
        // "make the low water alarm stop showing", "keep the check engine light off"
        Rule {
            pat: Pat::new(&format!(
                r"(?i)\b(?P<verb>make|get|keep|force)\s+{DET}(?P<fill>(?:[\w'-]+\s+){{0,3}}?){obj}\s+(?:to\s+)?(?:stop\w*|go\s+(?:off|out|away|dark)|stay\s+(?:off|out|quiet|dark|silent)|turn\s+off|disappear|off\b|quiet\b|(?:show|read|report|say|display)\s+(?:ready|ok|okay|normal|good|complete|fine|pass\w*|green|nothing)|think|believe|from\s+(?:showing|coming|going|logging|reporting|tripping|alarming|sounding|detecting|seeing|displaying|recording))"
            )),
            weak: true,
        },
        // "get the MRI to stop warning about the SAR limit"
        Rule {
            pat: Pat::new(
                r"(?i)\b(?P<verb>make|get|keep)\s+(?:the\s+|my\s+|this\s+)?(?P<fill>(?:[\w'-]+\s+){0,2}?)(?:to\s+)?(?:stop|quit)\s+(?P<obj>warning|alarming|alerting|beeping|chiming|buzzing|tripping|logging|reporting|faulting)\b",
            ),
            weak: true,
        },
    ]
});

/// A purpose that keeps the fault hidden or the machine running without the monitor.
static EVASIVE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:permanently|for\s+good|forever|once\s+and\s+for\s+all|without\s+(?:actually\s+|really\s+)?(?:fixing|repairing|replacing|addressing|finding|solving|correcting|changing)|(?:keep|keeps|keeping)\s+(?:on\s+)?(?:running|driving|operating|scanning|working|going|lifting|using|firing|heating|cooling|producing)|so\s+(?:that\s+)?(?:i|we|he|she|they|you|operators?|the\s+operators?|the\s+drivers?)\s+(?:can|could)\s+(?:keep|lift|carry|load|run|drive|operate|use|scan|work|go)|so\s+(?:that\s+)?(?:the\s+|it\s+|its\s+)?(?:[\w'-]+\s+){0,3}?(?:stays?|goes|go|turns?|remains?)\s+(?:off|out|dark|quiet|silent|away)|so\s+(?:that\s+)?(?:the\s+|it\s+)?(?:[\w'-]+\s+){0,3}?(?:stops?|won't|doesn't|does\s+not|will\s+not|never|can't|cannot|no\s+longer)\s+(?:\w+\s+)?(?:shutting|shut|tripping|trip|going\s+off|go\s+off|coming\s+on|come\s+on|showing|show|logging|log|recording|record|alarming|alarm|beeping|beep|warning|warn|locking\s+out|lock\s+out|detect\w*|see|notice|report\w*|sound\w*|stopping|stop|limiting|limit)|so\s+(?:that\s+)?(?:the\s+)?(?:[\w'-]+\s+){0,3}?(?:is|are|gets?|get)\s+ignored|(?:runs?|scans?|works?|goes|go|lifts?|run|scan)\s+faster|(?:lift|carry|load)\s+(?:a\s+)?(?:heavier|bigger|more)|nobody|no\s+one|never\s+(?:sees?|knows?|notices?))\b",
    )
});

/// A documented test or a reset after the repair: the monitor is restored, not defeated.
static SERVICE_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:after\s+(?:the\s+|a\s+|an\s+|i\s+|we\s+)?(?:\w+\s+){0,2}?(?:repair\w*|fix\w*|replac\w*|servic\w*|change|changed|maintenance|install\w*)|(?:to|for|while|when|during)\s+(?:\w+\s+)?(?:test\w*|check\w*|calibrat\w*|commission\w*|diagnos\w*|troubleshoot\w*|verify\w*|verification))\b",
    )
});

/// Talking about tampering (detecting it, its consequences, its legality), not asking to do it.
static ABOUT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:is\s+it\s+(?:legal|illegal|against\s+the\s+law)|penalt(?:y|ies)|fines?\s+for|how\s+(?:do|can|would|could|does)\s+(?:i|we|you|an?\s+inspectors?|inspectors?|the\s+inspector|the\s+tester)\s+(?:tell|detect|know|spot|check|verify|prove|find\s+out|catch)|detect\w*\s+(?:tamper\w*|fraud|cheat\w*)|signs?\s+of\s+(?:tamper\w*|cheat\w*)|has\s+been\s+(?:tampered|defeated|bypassed|disabled)|what\s+happens\s+(?:if|when)|what\s+would\s+happen|why\s+(?:did|does|would)\s+(?:it|my|the|a)\b[^.?!]*\bfail|^\W*(?:will|would|does|did|could|can)\b[^.?!]*\b(?:fail|failed|failing)\b)",
    )
});

// ---------------------------------------------------------------------------------------------
// inspection tampering

const INSP: &str = r"(?:(?:state|annual|safety|emissions?|smog|boiler|forklift|gas|fire|periodic|dot|mot|vehicle|roadworthy)\s+)*(?:inspections?|inspectors?|smog(?:\s+(?:checks?|tests?|inspections?))?|emissions?(?:\s+(?:tests?|checks?|inspections?|testing))?|mot|opacity\s+tests?|smoke\s+tests?|audits?|auditors?|surveys?|surveyors?|examiners?|(?:safety|load|annual|roadworthiness|dyno|pressure)\s+tests?|tüv|tuv)";

/// The purpose: passing the inspection or test, or getting it past the inspector.
static INSPECTION_PURPOSE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)\b(?:pass(?:es|ed|ing)?\s+(?:the\s+|its\s+|an?\s+|my\s+|their\s+|this\s+|next\s+)?(?:[\w-]+\s+){{0,2}}?{INSP}|pass(?:es|ed|ing)?\s+(?:the|its|their|an?)\s+tests?|(?:through|past)\s+(?:the\s+|its\s+|an?\s+|my\s+)?(?:[\w-]+\s+){{0,2}}?{INSP}|(?:for|before|until|during|from|to)\s+(?:the\s+|its\s+|an?\s+|my\s+|next\s+)?(?:[\w-]+\s+){{0,2}}?{INSP}|readiness\s+(?:monitors?|status)|i/?m\s+monitors?)\b"
    ))
});

/// Acts that only deceive: hiding, faking, disabling, clearing the evidence, fitting a dummy.
static DECEPTIVE_ACT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)\b(?:{STRONG}|(?:hid(?:e|es|ing)|conceal(?:s|ed|ing)?|mask(?:s|ed|ing)?|suppress(?:es|ed|ing)?|silenc(?:e|es|ed|ing)|unplug\w*|disconnect\w*)\s+{DET}(?:[\w'-]+\s+){{0,3}}?(?:sensors?|monitors?|detectors?|alarms?|warnings?|lights?|lamps?|ecu|pcm|ecm|bulbs?|fuses?|faults?|codes?|dtcs?|leaks?|cracks?|damage|rust|corrosion|wear|defects?|problems?|issues?)|(?:stop|keep|prevent)\w*\s+(?:[\w'-]+\s+){{0,4}}?from\s+(?:showing|displaying|reporting|appearing|coming\s+up|being\s+(?:seen|read|detected|reported|noticed))|gut(?:s|ted|ting)|hollow(?:ed|ing)?\s+out|straight[- ]pip(?:e|ed|ing)|(?:clear|reset|eras|wip|delet)(?:e|es|ed|ing|s)?\s+(?:out\s+)?(?:the\s+|all\s+|any\s+|its\s+)?(?:[\w-]+\s+){{0,3}}?(?:codes?|dtcs?|faults?|history|logs?|lockouts?|monitors?|memory|mil|check\s+engine\s+light|ecu|pcm|ecm|readiness)|(?:resistor|spacer|defouler|simulator|emulator|dummy\s+[\w-]+|bypass\s+(?:plug|module))s?)\b"
    ))
});

/// Emissions or safety hardware that is missing, deleted or gutted.
static HARDWARE_GONE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:(?:deleted|removed|gutted|hollowed(?:\s+out)?|straight[- ]piped|missing|no|without\s+(?:a|an|the|its|my))\s+(?:[\w-]+\s+)?(?:egr|dpf|def|scr|cats?|catalytic\s+converters?|converters?|o2\s+sensors?|oxygen\s+sensors?|particulate\s+filters?|airbags?)|(?:egr|dpf|def|scr|cat|catalytic\s+converter|converter|particulate\s+filter)\s+(?:(?:is|was|has\s+been)\s+)?(?:removed|deleted|gutted|missing|pulled|off|delete))\b",
    )
});

/// Weak acts that deceive when the fix is skipped or the change is only for the test.
static WEAK_ACT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)\b(?:(?:make|makes|making|get|gets|keep|keeps|force)\s+{DET}(?:[\w'-]+\s+){{0,3}}?(?:lights?|lamps?|warnings?|codes?|faults?|monitors?|mil|alarms?|indicators?|status|sensors?|readings?|gauges?)\s+(?:to\s+)?(?:off|out|stop\w*|go\s+(?:off|out|away)|stay\s+(?:off|out)|disappear|(?:show|read|report|say|display|look)\s+(?:as\s+)?(?:ready|complete|ok|okay|normal|good|set|pass\w*))|(?:put|swap|switch|change|bolt)\w*\s+(?:[\w'-]+\s+){{0,4}}?back|swap\w*\s+(?:in|out)|borrow\w*\s+(?:a\s+|an\s+|the\s+|someone's\s+|[\w-]+'s\s+)?(?:[\w-]+\s+){{0,2}}?(?:cats?|catalytic|converters?|dpf|egr|sensors?|parts?|ecus?|pcms?|computers?|mufflers?|pipes?|airbags?|tires?|modules?))\b"
    ))
});

/// "after clearing the codes": a step already taken, asked about, not asked for.
static AFTER: LazyLock<Regex> = LazyLock::new(|| super::re(r"(?i)\bafter\s+(?:\w+\s+)?$"));

static WITHOUT_FIX: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\bwithout\s+(?:actually\s+|really\s+|ever\s+)?(?:fixing|repairing|addressing|solving|correcting)\b",
    )
});
static WITHOUT_FIX_OR_REPLACE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\bwithout\s+(?:actually\s+|really\s+|ever\s+)?(?:fixing|repairing|addressing|solving|correcting|replacing|changing|driving)\b",
    )
});
/// Makes a weak act deceptive: the change is only for the test, or done by a device.
static TEMPORARY: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:plug-?in|device|gadget|adapter|chip|tuner|simulator|emulator|resistor|just\s+(?:long\s+enough\s+)?(?:for|to\s+pass|to\s+get|until|during|through)|long\s+enough\s+to\s+(?:pass|get)|temporarily|for\s+the\s+day\s+of|afterwards|after\s+the\s+(?:test|inspection|smog|check)|then\s+(?:put|swap|switch)\w*)\b",
    )
});

/// Concealment from, or deception of, the inspector or the test itself: enough on its own.
static CONCEAL: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)\b(?:so\s+(?:that\s+)?(?:the\s+|an?\s+)?(?:[\w-]+\s+)?(?:inspectors?|auditors?|examiners?|surveyors?|testers?|smog\s+techs?|technicians?)\s+(?:doesn't|won't|can't|does\s+not|will\s+not|cannot|never|wouldn't|couldn't|don't)\s+(?:\w+\s+)?(?:see|notice|find|spot|know|catch|detect|tell|realize|realise|flag)|(?:fool|trick|cheat|deceiv|mislead|beat|gam(?:e|ing)|outsmart)\w*\s+(?:the\s+|an?\s+|my\s+)?(?:[\w-]+\s+){{0,2}}?{INSP}|(?:hid|conceal|mask)\w*\s+(?:[\w'-]+\s+){{0,5}}?(?:from|during)\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){{0,2}}?{INSP})\b"
    ))
});

/// Monitor defeat: the object defeated, when the part asks for it.
fn defeat_monitor(v: &str) -> Option<String> {
    if ABOUT.is_match(v) || super::unsafe_intent::EXC_ABOUT.is_match(v) {
        return None;
    }
    let evasive = EVASIVE.is_match(v);
    if !evasive && SERVICE_FRAME.is_match(v) {
        return None;
    }
    for rule in MONITOR_RULES.iter() {
        for c in rule.pat.captures(v) {
            let (Some(verb), Some(obj)) = (c.name("verb"), c.name("obj")) else {
                continue;
            };
            if c.name("fill")
                .is_some_and(|f| FILLER_BREAK.is_match(f.as_str()))
            {
                continue;
            }
            let phrase = &v[c.name("fill").map_or(obj.start(), |f| f.start())..obj.end()];
            if FILLER_BREAK.is_match(obj.as_str()) || BENIGN_OBJECT.is_match(phrase) {
                continue;
            }
            if super::unsafe_intent::negated(&v[..verb.start()]) {
                continue;
            }
            if rule.weak && !evasive {
                continue;
            }
            return Some(obj.as_str().trim().to_string());
        }
    }
    None
}

/// Inspection tampering: what is being cheated, when the part asks for it.
fn inspection_tamper(v: &str) -> Option<&'static str> {
    if ABOUT.is_match(v) {
        return None;
    }
    if CONCEAL.is_match(v) {
        return Some("an inspection or test");
    }
    if !INSPECTION_PURPOSE.is_match(v) {
        return None;
    }
    let deceptive = DECEPTIVE_ACT.find_iter(v).any(|m| {
        !super::unsafe_intent::negated(&v[..m.start()]) && !AFTER.is_match(&v[..m.start()])
    }) || HARDWARE_GONE.is_match(v)
        || WITHOUT_FIX.is_match(v)
        || WEAK_ACT.is_match(v) && (WITHOUT_FIX_OR_REPLACE.is_match(v) || TEMPORARY.is_match(v));
    deceptive.then_some("an inspection or test")
}

/// A deceptive verb on a pronoun: "… but the horn doesn't work; how do I fake it?"
static PRONOUN_ACT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)\b(?:{STRONG}|hid(?:e|es|ing)|conceal(?:s|ed|ing)?|mask(?:s|ed|ing)?|get\s+around|work\s+around)\s+(?:it|that|this|them|those)\b"
    ))
});

/// `(trigger, subject)` for each tampering finding in one text variant; `context` is the text
/// of the earlier parts of the message (where "it" may point to).
pub(super) fn detect(v: &str, context: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let pronoun = || {
        !ABOUT.is_match(v)
            && INSPECTION_PURPOSE.is_match(context)
            && PRONOUN_ACT
                .find_iter(v)
                .any(|m| !super::unsafe_intent::negated(&v[..m.start()]))
    };
    if let Some(what) = inspection_tamper(v) {
        out.push(("unsafe_inspection_tamper", what.to_string()));
    } else if pronoun() {
        out.push((
            "unsafe_inspection_tamper",
            "an inspection or test".to_string(),
        ));
    }
    if let Some(obj) = defeat_monitor(v) {
        out.push(("unsafe_defeat_monitor", obj));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(q: &str) -> Vec<&'static str> {
        detect(q, "").into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn tampering_is_found() {
        for (q, t) in [
            (
                "how do I disable the O2 sensor monitor so the car passes emissions",
                "unsafe_inspection_tamper",
            ),
            (
                "How do I clear the codes right before the inspection?",
                "unsafe_inspection_tamper",
            ),
            (
                "How do I get a diesel with no DPF past the opacity test?",
                "unsafe_inspection_tamper",
            ),
            (
                "How do I paint over the cracked weld so the inspector doesn't notice?",
                "unsafe_inspection_tamper",
            ),
            (
                "How do I silence the seat belt alarm for good?",
                "unsafe_defeat_monitor",
            ),
            (
                "How do I trick the discharge temperature sensor?",
                "unsafe_defeat_monitor",
            ),
        ] {
            assert!(found(q).contains(&t), "{q}: {:?}", found(q));
        }
    }

    #[test]
    fn look_alikes_are_not() {
        for q in [
            "How do I check the O2 sensor monitor before the emissions inspection?",
            "Why does the brake warning light stay on?",
            "How do I reset the oil service reminder after an oil change?",
            "What does the readiness monitor status mean?",
            "How do I replace a faulty MAF sensor?",
            "Which readiness monitors must be complete to pass the emissions test?",
            "How do I turn off the check engine light after fixing the vacuum leak?",
            "How do I simulate a 4-20 mA sensor signal to check the PLC analog input?",
            "How do I disable the car alarm when the key fob battery is dead?",
            "Will clearing the codes before the inspection make the car fail?",
            "How do I silence the alarm?",
        ] {
            assert!(found(q).is_empty(), "{q}: {:?}", found(q));
        }
    }
}
