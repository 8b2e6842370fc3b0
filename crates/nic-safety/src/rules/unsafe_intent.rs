//! Unsafe intent: defeating a safety device, exceeding a rating, falsifying a record,
//! substituting what the manual does not allow, working on energised or raised equipment.
//!
//! Each rule pairs an *act* with an *object* in phrase context — "bypass" only counts when what
//! it acts on is a safety device ("bypass **the interlock**"), never when it names a part
//! ("the bypass valve") — and is then weighed against intent cues in the part:
//!
//! * negation right before the verb ("how do I fix it *without* bypassing the interlock");
//! * detection or consequence frames ("how can I tell if the interlock *has been* bypassed",
//!   "what happens if …", "why does the controller bypass …");
//! * a documented test ("bypass-test the pressure switch per the manual", "jumper the switch
//!   momentarily to check it") proceeds with a `safety_device_test` note instead;
//! * weak verbs ("remove", "disconnect", "pull") only count with a purpose that keeps the
//!   machine running without the device ("remove the guard *and run the saw*") — removing a
//!   guard to replace a belt is ordinary maintenance.
//!
//! Permission questions ("is it OK to bypass the interlock?") are refused: the refusal reason
//! *is* the answer ("no — and here is the safe procedure").

use super::{Pat, Text};
use crate::{messages, RiskLevel};
use regex::Regex;
use std::sync::LazyLock;

/// One unsafe finding.
pub(crate) struct Hit {
    pub trigger: &'static str,
    pub reason: String,
}

const DEVICE: &str = r"(?:(?:door|lid|gate|guard|safety|cab|seat|brake|key|park|neutral|hood|cover|panel|access|magnet|x-?ray|laser|cabinet|outrigger)\s+)?interlocks?(?:\s+(?:switch(?:es)?|circuit|system))?|safety\s+(?:switch(?:es)?|circuit|interlock|devices?|relay|valve|sensors?|systems?|features?|cut-?off|chain|loop|mat|edge|bar|controls?|shut-?off|limit|latch|catch|pin)|(?:high|hi|low|lo)[- ]?pressure\s+(?:safety\s+)?(?:switch(?:es)?|cut-?outs?|cut-?offs?|limits?|controls?|trip)|(?:pressure\s+)?relief\s+valves?|(?:t\s*&\s*p|t\s+and\s+p|temperature\s+and\s+pressure)\s+(?:relief\s+)?valves?|prv|pop-?off\s+valves?|safety\s+valves?|pressure\s+switch(?:es)?|(?:high|hi)[- ]limits?(?:\s+(?:switch(?:es)?|controls?|thermostats?))?|limit\s+switch(?:es)?|(?:flame\s+)?roll-?out\s+switch(?:es)?|flame\s+(?:sensors?|rods?|safeguards?|supervision|detectors?)|(?:thermal|overcurrent|over-?temp(?:erature)?|motor)\s+(?:protection|protectors?|cut-?outs?|relays?|switch(?:es)?|limiters?|trips?)|overload\s+(?:relays?|protection|protectors?|limiters?|alarms?|sensors?)|thermal\s+(?:fuses?|cut-?offs?)|fusible\s+links?|quench\s+(?:circuit|heaters?|protection|system|unit)|(?:magnet\s+)?protection\s+circuits?|seat\s+(?:switch(?:es)?|sensors?|belt\s+(?:interlocks?|switch(?:es)?))|operator\s+presence\s+(?:system|sensors?|switch(?:es)?|control)|dead-?\s?man(?:'s)?\s+(?:switch(?:es)?|pedals?|controls?|handles?)|presence\s+sens(?:ing\s+devices?|ors?)|(?:safety\s+)?light\s+curtains?|e-?stops?|emergency\s+stops?(?:\s+(?:buttons?|switch(?:es)?|circuit))?|kill\s+switch(?:es)?|tether\s+switch(?:es)?|(?:smoke|heat|co|carbon\s+monoxide|gas|methane|oxygen|o2|refrigerant\s+leak)\s+(?:detectors?|alarms?|sensors?|monitors?)|fire\s+(?:alarms?|suppression(?:\s+system)?|sprinklers?|detection(?:\s+system)?)|sprinklers?(?:\s+system)?|ground[- ]fault(?:\s+(?:protection|interrupters?|breakers?|relays?|monitors?|circuit\s+interrupters?))?|gfci|gfi|rcd|afci|arc[- ]fault(?:\s+(?:breakers?|protection))?|(?:blade|belt|chain|fan|saw|machine|protective|mast|overhead|finger|pulley|point-of-operation)\s+guards?|guards?|abs|anti-?lock\s+brak(?:es|ing)(?:\s+system)?|airbags?|srs|load\s+moment\s+(?:indicators?|limiters?)|lmi|rated\s+capacity\s+(?:limiters?|indicators?)|(?:speed\s+)?governors?|speed\s+limiters?|overspeed\s+(?:trip|governors?|switch(?:es)?|protection)|(?:backup|back-?up|reverse|reversing)\s+(?:alarms?|beepers?|sensors?)|tip-?over\s+(?:protection|sensors?|alarms?)|tilt\s+(?:sensors?|switch(?:es)?)|low[- ]water\s+cut-?offs?|lwco|flow\s+switch(?:es)?|burst\s+discs?|rupture\s+discs?|(?:radiation|x-?ray)\s+(?:shields?|shielding)|door\s+switch(?:es)?|lid\s+switch(?:es)?|anti-?two-?block(?:\s+system)?|boom\s+(?:angle\s+)?limit(?:er)?s?|ground\s+(?:pins?|prongs?)|tco|temperature\s+limit(?:er)?s?|over-?temperature\s+(?:limit|shutdown|protection)|crash\s+sensors?|parking\s+brake\s+(?:switch|interlock)|oil\s+pressure\s+(?:safety|shutdown)\s+switch(?:es)?|low\s+oil\s+(?:pressure\s+)?shutdown|quench\s+(?:pipe|vent|line)|helium\s+vent(?:\s+pipe)?|overhead\s+guard|(?:high\s+)?temp(?:erature)?\s+(?:shutdown|safety)\s+switch(?:es)?";

const POWER: &str = r"(?:circuit\s+)?breakers?|fuses?|main\s+disconnect|disconnect\s+switch";

const STRONG_VERBS: &str = r"bypass(?:es|ed|ing)?|by-pass(?:es|ed|ing)?|jumper(?:s|ed|ing)?|jump(?:s|ed|ing)?(?:\s+(?:out|across|past|over))?|defeat(?:s|ed|ing)?|disabl(?:e|es|ed|ing)|deactivat(?:e|es|ed|ing)|overrid(?:e|es|ing|den)|overrode|short(?:s|ed|ing)?(?:\s+out)?|circumvent(?:s|ed|ing)?|cheat(?:s|ed|ing)?|trick(?:s|ed|ing)?|fool(?:s|ed|ing)?|get(?:ting)?\s+around|work(?:ing)?\s+around|wire\s+around|tap(?:e|ed|ing)\s+(?:down|over|up)|tie\s+(?:down|back|off|up)|zip[- ]?tie|wedg(?:e|ed|ing)|block(?:ed|ing)?\s+(?:open|out|off)|pin(?:ned|ning)?\s+(?:open|down|back|closed)|hold(?:ing)?\s+down|turn(?:ing)?\s+off|shut(?:ting)?\s+off|switch(?:ing)?\s+off|silenc(?:e|ing)|mut(?:e|ing)|kill(?:ing)?|tamper(?:ing)?\s+with|mess(?:ing)?\s+with|get\s+rid\s+of|delet(?:e|ing)|eliminat(?:e|ing)|hotwir(?:e|ing)|neutrali[sz](?:e|ing)|plug(?:ging)?(?:\s+(?:up|off))?|cap(?:ping)?(?:\s+off)?|seal(?:ing)?\s+(?:off|up)|weld(?:ing)?\s+shut|cut\s+out";

const WEAK_VERBS: &str = r"disconnect(?:s|ed|ing)?|unplug(?:s|ged|ging)?|remov(?:e|es|ed|ing)|pull(?:s|ed|ing)?(?:\s+(?:out|off))?|cut(?:s|ting)?(?:\s+off)?|cover(?:s|ed|ing)?(?:\s+up)?|rewir(?:e|ed|ing)|take\s+(?:out|off)|dismantl(?:e|ing)|unhook|detach";

const POWER_VERBS: &str = r"bypass(?:es|ed|ing)?|by-pass|jumper(?:s|ed|ing)?|jump(?:s|ed|ing)?(?:\s+(?:out|across))?|short(?:s|ed|ing)?(?:\s+out)?|defeat(?:s|ed|ing)?|overrid(?:e|ing)|wire\s+around|circumvent|cheat|tape\s+(?:down|up)|hold\s+(?:in|down|closed)|tie\s+(?:down|up)|block";

const DET: &str = r"(?:(?:the|a|an|my|this|that|these|those|its|their|our|your|all|any|both|his|her|each|every)\s+)?";
const FILLER: &str = r"(?P<fill>(?:[\w'-]+\s+){0,3}?)";

struct DeviceRule {
    pat: Pat,
    weak: bool,
    power: bool,
}

fn device_rules() -> Vec<DeviceRule> {
    let mk = |verbs: &str, dev: &str, weak, power| {
        DeviceRule {
        pat: Pat::new(&format!(r"(?i)\b(?P<verb>{verbs})\s+{DET}{FILLER}(?P<dev>{dev})\b")).not_after(r"(?i)^\s*(?:light|lamp|indicator|codes?|warning\s+(?:light|lamp)|message|chime|box|block|panel|holder|diagram|chart|puller|rating|map|layout|tap)\b"),
        weak,
        power,
    }
    };
    vec![
        mk(STRONG_VERBS, DEVICE, false, false),
        mk(WEAK_VERBS, DEVICE, true, false),
        mk(POWER_VERBS, POWER, false, true),
    ]
}

static DEVICE_RULES: LazyLock<Vec<DeviceRule>> = LazyLock::new(device_rules);

static NOUN_AFTER_VERB: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)^[\s-]*(?:valves?|switch(?:es)?|mode|lines?|circuit|port|hose|damper|loop|tube|pipe|screw|setting|button|key|function|feature|relay|capacitor|wires?|leads?|kit|plug|solenoid|orifice|filter|check|tests?|testing|procedure|system|operation|start|starting|starter|box|pack|cables?|cycle|cycling|term|version|answer|list|in|cord|timer|door|gate|ratio|factor|time|codes?|sequence|control|lever|pin|jumper|block|path|position)\b",
    )
});

/// Fillers between a verb and a device that break the phrase (a new clause or a preposition).
static FILLER_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:and|or|then|but|to|so|before|after|while|check|test|inspect|replace|install|reset|find|locate|on|at|in|with|without|from|for|of|is|are|was|if|when|near|next|by)\b",
    )
});

static PRONOUN_VERB: LazyLock<Pat> = LazyLock::new(|| {
    Pat::new(&format!(r"(?i)\b(?P<verb>{STRONG_VERBS})\s+(?:it|them|this|that|these|those|the\s+thing|this\s+thing|the\s+(?:switch|sensor|device|valve|circuit|relay|system))\b"))
        .not_after(r"(?i)^\s*(?:to\s+(?:test|check|verify|confirm|diagnose))\b")
});
static OUT_OF_CIRCUIT: LazyLock<Pat> = LazyLock::new(|| {
    Pat::new(
        r"(?i)\b(?:take|cut|wire|jumper|remove|get)\s+(?:[\w'-]+\s+){0,3}?out\s+of\s+the\s+(?:circuit|loop|safety\s+(?:chain|circuit|loop)|control\s+circuit)\b",
    )
});
static ANY_DEVICE: LazyLock<Regex> =
    LazyLock::new(|| super::re(&format!(r"(?i)\b(?P<dev>{DEVICE})\b")));

static DEVICE_FIRST: LazyLock<Vec<Pat>> = LazyLock::new(|| {
    vec![
        // "can the interlock be bypassed", "how do I get the seat switch disabled"
        Pat::new(&format!(r"(?i)\b(?P<dev>{DEVICE})\s+(?:[\w'-]+\s+){{0,2}}?(?:be|get|being)\s+(?:bypassed|disabled|defeated|jumpered|jumped(?:\s+out)?|overridden|shorted(?:\s+out)?|deactivated|tied\s+down|taped\s+(?:down|over)|removed\s+permanently|turned\s+off|shut\s+off)\b")),
        // "interlock bypass kit", "seat switch override"
        Pat::new(&format!(r"(?i)\b(?P<dev>{DEVICE})\s+(?:bypass|override|defeat|delete|jumper|cheat)(?:es|s)?\b"))
            .not_after(r"(?i)^[\s-]*(?:valves?|switch|mode\s+indicator|lights?|detection|alarm|tests?|testing|checks?|keys?|functions?|features?|positions?)\b"),
        // "run the compressor without the high-pressure switch"
        Pat::new(&format!(r"(?i)\b(?:run|running|runs|operate|operating|operates|use|using|drive|driving|start|starting|fire|firing|lift|lifting|ride|riding|keep\s+(?:it\s+)?running|get\s+it\s+(?:to\s+)?(?:run|running|working|going))\b[^.?!]{{0,40}}?\b(?:without|with\s+no|minus)\s+(?P<w1>{DET}(?:[\w'-]+\s+){{0,2}}?)(?P<dev>{DEVICE})\b")),
        Pat::new(&format!(r"(?i)\b(?:run|running|runs|operate|operating|use|using|drive|driving|start|starting|fire|firing|lift|lifting|ride|riding)\b[^.?!]{{0,40}}?\bwith\s+{DET}(?:[\w'-]+\s+){{0,2}}?(?P<dev>{DEVICE})\s+(?:[\w'-]+\s+)?(?:removed|off|disabled|bypassed|jumpered|jumped|taped|tied|disconnected|unplugged|missing|pulled|defeated|open|blocked|wedged)\b")),
        // "a jumper wire across the door interlock"
        Pat::new(&format!(r"(?i)\b(?:jumper(?:\s+wire|\s+lead)?|wire|paper\s*clip|piece\s+of\s+wire)\s+(?:across|around|between|over|on|onto)\s+[^.?!]{{0,40}}?\b(?P<dev>{DEVICE}|{POWER})\b")),
        // "make the seat switch think someone is sitting on it"
        Pat::new(&format!(r"(?i)\b(?:make|trick|fool|convince|get)\s+(?:the\s+)?(?P<dev>{DEVICE})\s+(?:to\s+)?(?:think|believe|see|read|sense)\b")),
        // "keep the door interlock from stopping the machine when the door is open"
        Pat::new(&format!(r"(?i)\b(?:keep|stop)\s+(?:the\s+)?(?P<dev>{DEVICE})\s+from\s+\w+[^.?!]{{0,40}}\b(?:when|while|with)\s+(?:the\s+)?(?:door|guard|lid|gate|cover)\s+(?:is\s+)?(?:open|off|removed)")),
        // "run the forklift without anyone in the seat", "so it runs with the door open"
        Pat::new(r"(?i)\b(?:run|runs|running|operate|operating|move|moving|drive|driving|lift|lifting)\b[^.?!]{0,40}?\bwithout\s+(?:anyone|someone|anybody|an?\s+operator|the\s+operator)\s+(?:sitting\s+|seated\s+)?(?:in|on)\s+the\s+seat\b"),
        Pat::new(r"(?i)\b(?:run|runs|running|operate|operates|operating|work|works|spin|spins|spinning|start|starts)\b\s+(?:[\w'-]+\s+){0,3}?with\s+the\s+(?:door|lid|gate|guard)\s+(?:open|off|removed|up)\b"),
        // "cheater plug", "install a seat switch bypass"
        Pat::new(r"(?i)\bcheater\s+(?:plug|adapter)s?\b"),
    ]
});

/// Detection, consequence and system-behaviour frames: talking *about* a defeated device.
pub(super) static EXC_ABOUT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:what\s+happens\s+(?:if|when)|what\s+would\s+happen|consequences?\s+of|dangers?\s+of|risks?\s+of|why\s+(?:is|it's)\s+it\s+(?:so\s+)?(?:dangerous|unsafe|illegal|bad|wrong|prohibited)|why\s+(?:should(?:n't|\s+not)|must(?:n't|\s+not))|how\s+(?:do|can|would|could)\s+(?:i|we|you|an?\s+inspector)\s+(?:tell|know|detect|check|see|verify|find\s+out|spot|recogni[sz]e|prove|make\s+sure)\s+(?:if|whether|that|when)|(?:detect|detecting|detection|signs?|evidence|indication)\s+(?:of|that)|has\s+been\s+(?:bypassed|disabled|jumpered|defeated|tampered|overridden)|had\s+been|was\s+(?:bypassed|disabled|jumpered|defeated|overridden)|someone\s+(?:bypassed|disabled|jumpered|defeated|had)|tamper[- ]?(?:proof|resistant|detection|evident|alarm)|prevent\s+(?:tampering|people|anyone|operators?|workers?|someone)|why\s+(?:does|did|would|do|will)\s+(?:the|my|it|this|a|an)\b|automatically|should\s+never|must\s+never|never\s+be|re-?enable|restore|reinstall|re-?install|put\s+back|reconnect|re-?connect|reactivate|re-?activate)",
    )
});

/// Negation right before the verb.
static NEG_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)(?:n't|\bnot|\bnever|\bwithout|\bavoid(?:ing)?|\bprevent(?:ing)?|\bstop(?:ping)?|\bagainst|\bno\s+one\s+can|\bnobody\s+can|\bcannot|\bwon't)\s+(?:[\w']+\s+){0,2}$",
    )
});

/// True when the text right before a verb negates it ("without bypassing", "never disable").
pub(super) fn negated(before: &str) -> bool {
    NEG_BEFORE.is_match(before)
}

/// A weak verb counts only with a purpose that keeps the machine running without the device.
static PURPOSE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:so\s+(?:that\s+)?(?:i|it|we|they|the\s+\w+)\s+(?:can|will|won't|doesn't|don't|stops?|keeps?)|permanently|for\s+good|and\s+(?:then\s+)?(?:run|operate|drive|keep\s+(?:it\s+)?(?:running|working|going)|start|use|ride|lift)|while\s+(?:running|operating|it\s+runs|in\s+use|driving)|to\s+(?:run|operate|drive|keep\s+(?:it\s+)?(?:running|going|working)|stop\s+(?:it|the\s+\w+)\s+from|get\s+(?:it\s+)?(?:running|going|working)|make\s+it\s+(?:run|work|start))|without\s+it|it\s+keeps\s+(?:tripping|shutting|stopping|beeping|going\s+off)|because\s+it\s+keeps|stop\s+(?:it\s+)?from\s+(?:tripping|shutting|beeping)|annoying|nuisance|it's\s+in\s+the\s+way)\b",
    )
});

static TEST_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)^\W*(?:[\w'-]+\s+){0,6}?(?:momentarily\s+|briefly\s+|temporarily\s+)?(?:to|for|and)\s+(?:test|testing|check|checking|verify|verifying|confirm|confirming|diagnose|diagnosing|isolate|isolating|see)\s+(?:it|that|whether|if|the\s+(?:switch|sensor|device|interlock|circuit|relay|contacts?|fault|same|coil))\b",
    )
});
static PER_MANUAL: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:per\s+the\s+(?:manual|service\s+manual|procedure)|according\s+to\s+the\s+(?:manual|procedure)|as\s+(?:described|shown|specified|instructed)\s+in\s+the\s+manual|manual's\s+(?:test|procedure)|(?:bypass|jumper|jump)[- ]test)\b",
    )
});
static TEST_COMPOUND: LazyLock<Regex> =
    LazyLock::new(|| super::re(r"(?i)\b(?:bypass|by-pass|jumper|jump)[- ]test(?:s|ed|ing)?\b"));
static PRESSURE_SWITCH: LazyLock<Regex> =
    LazyLock::new(|| super::re(r"(?i)\b(?:switch|sensor|interlock|limit)\b"));
static SERVICE_DEVICE: LazyLock<Regex> =
    LazyLock::new(|| super::re(r"(?i)^(?:abs|anti-?lock.*|airbags?|srs)$"));
static SERVICE_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:before|while|when|for|during|prior\s+to)\s+(?:[\w'-]+\s+){0,2}?(?:servic\w*|work\w*|replac\w*|remov\w*|repair\w*|weld\w*|install\w*|disassembl\w*)|\b(?:child|car|infant|baby)\s+seat|rear-?facing",
    )
});

fn device_hits(v: &str, context: &str) -> Option<(String, bool)> {
    // Returns (device, is_test) for the first unsafe device phrase.
    for rule in DEVICE_RULES.iter() {
        for c in rule.pat.captures(v) {
            let (Some(verb), Some(dev), Some(all)) = (c.name("verb"), c.name("dev"), c.get(0))
            else {
                continue;
            };
            if NOUN_AFTER_VERB.is_match(&v[verb.end()..]) {
                continue;
            }
            if c.name("fill")
                .is_some_and(|f| FILLER_BREAK.is_match(f.as_str()))
            {
                continue;
            }
            if verb.as_str().to_ascii_lowercase().starts_with("plug")
                && v[verb.end()..]
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("in")
            {
                continue;
            }
            if NEG_BEFORE.is_match(&v[..verb.start()]) {
                continue;
            }
            if rule.weak && !PURPOSE.is_match(v) {
                continue;
            }
            let device = dev.as_str().to_string();
            if SERVICE_DEVICE.is_match(&device) && SERVICE_CONTEXT.is_match(v) {
                continue;
            }
            let is_test = TEST_AFTER.is_match(&v[all.end()..]) && !rule.power;
            return Some((device, is_test));
        }
    }
    if let Some(m) = OUT_OF_CIRCUIT.matches(v).next() {
        let dev = ANY_DEVICE
            .captures(v)
            .or_else(|| ANY_DEVICE.captures(context))
            .and_then(|d| d.name("dev"));
        if let Some(dev) = dev {
            if !NEG_BEFORE.is_match(&v[..m.start()]) {
                return Some((dev.as_str().to_string(), false));
            }
        }
    }
    if let Some(c) = PRONOUN_VERB.captures(v).next() {
        let dev = ANY_DEVICE
            .captures(v)
            .or_else(|| ANY_DEVICE.captures(context))
            .and_then(|d| d.name("dev"));
        if let (Some(verb), Some(dev)) = (c.name("verb"), dev) {
            if !NEG_BEFORE.is_match(&v[..verb.start()])
                && !NOUN_AFTER_VERB.is_match(&v[verb.end()..])
            {
                return Some((dev.as_str().to_string(), false));
            }
        }
    }
    for p in DEVICE_FIRST.iter() {
        for c in p.captures(v) {
            let first_after = c.name("w1").and_then(|w| {
                w.as_str()
                    .split_whitespace()
                    .next()
                    .map(str::to_ascii_lowercase)
            });
            if first_after.is_some_and(|w| w.ends_with("ing")) {
                continue; // "without tripping the breaker"
            }
            let device = c
                .name("dev")
                .map_or("safety device", |d| d.as_str())
                .to_string();
            let Some(all) = c.get(0) else { continue };
            if NEG_BEFORE.is_match(&v[..all.start()]) {
                continue;
            }
            return Some((device, false));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// other unsafe acts

struct Simple {
    trigger: &'static str,
    pats: Vec<Pat>,
    /// Cancels the rule when found anywhere in the part.
    exc: Option<Regex>,
    subject: &'static str,
}

const LIMIT_NOUN: &str = r"(?:rated|rating|ratings|maximum|max|limits?|capacity|load\s+chart|redline|red\s+line|nameplate|specified|spec|specs|design\s+pressure|working\s+pressure|mawp|swl|wll|safe\s+working\s+load|working\s+load\s+limit|duty\s+cycle|allowable|data\s+plate|capacity\s+plate|plate|rating\s+plate)";

static SIMPLE: LazyLock<Vec<Simple>> = LazyLock::new(|| {
    let hypo = r"(?i)\b(?:what\s+happens\s+(?:if|when)|what\s+would\s+happen|consequences?|dangers?\s+of|risks?\s+of|why\s+(?:is|it's|does|did|would)|how\s+(?:do|can)\s+(?:i|we|you)\s+(?:tell|know|detect|check|see|verify|make\s+sure|avoid|prevent)|never|don't|do\s+not|avoid|prevent|without\s+exceeding|not\s+(?:to\s+)?exceed|before\s+exceeding|what\s+is\s+the\s+(?:max|maximum|rated|limit)|accidentally|by\s+mistake|someone\s+(?:put|added|used|filled)|was\s+(?:overloaded|exceeded)|exceeded\b[^.?!]*\b(?:and|so)\b|signs?\s+of|symptoms?)\b";
    vec![
        Simple {
            trigger: "unsafe_exceed_limits",
            subject: "the rated limit",
            pats: vec![
                Pat::new(&format!(
                    r"(?i)\b(?:exceed(?:ing|s)?|go(?:ing)?\s+(?:over|above|past|beyond)|run(?:ning)?\s+(?:it\s+|the\s+\w+\s+)?(?:over|above|past|beyond)|operat(?:e|ing)\s+(?:it\s+|the\s+\w+\s+)?(?:over|above|beyond|past)|push(?:ing)?\s+(?:it\s+|the\s+\w+\s+)?(?:past|beyond|over|above)|set(?:ting)?\s+(?:it\s+|the\s+[\w\s-]{{0,20}}?)?(?:above|over|higher\s+than|beyond|past)|lift(?:ing)?\s+(?:\w+\s+){{0,3}}?(?:more\s+than|over|above|beyond)|load(?:ing)?\s+(?:it\s+|the\s+\w+\s+)?(?:more\s+than|over|above|beyond|past)|carry(?:ing)?\s+(?:more\s+than|over)|charg(?:e|ing)\s+(?:it\s+)?(?:above|over|past|beyond)|pressuri[sz](?:e|ing)\s+(?:it\s+|the\s+\w+\s+)?(?:above|over|past|beyond)|(?:how\s+(?:much|far)|can\s+i\s+go)\s+(?:over|above|past|beyond))\s+(?:the\s+|its\s+|their\s+|a\s+)?(?:\w+\s+){{0,2}}?{LIMIT_NOUN}\b"
                )),
                Pat::new(r"(?i)\boverload(?:ing)?\s+(?:the|my|it|a|this|our)\b"),
                Pat::new(
                    r"(?i)\b(?:over-?pressuri[sz]e|over-?rev|over-?speed|over-?fill)\s+(?:the|it|my)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:raise|increase|turn\s+up|crank\s+up|bump\s+up)\s+(?:the\s+)?(?:pressure\s+)?(?:relief\s+valve|pop-?off|safety\s+valve|governor|high[- ]limit|high[- ]pressure\s+(?:switch|cut-?out|cut-?off|limit)|cut-?out|speed\s+limiter|overload\s+(?:relay|setting|trip))(?:\s+(?:setting|pressure|set\s*point|trip\s+point))?\s+(?:to|above|beyond|past|higher|by)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:increase|raise|boost|up|double)\s+(?:the\s+|my\s+)?(?:[\w']+\s+){0,2}?(?:lifting|load|rated|lift)\s+capacity\b",
                ),
                Pat::new(
                    r"(?i)\b(?:raise|increase|turn\s+up|crank\s+up|bump\s+up|shim|adjust)\s+(?:the\s+)?(?:pressure\s+)?(?:relief\s+valve|pop-?off|safety\s+valve|governor|high[- ]limit|pressure\s+switch|cut-?out|speed\s+limiter)(?:\s+(?:setting|pressure|set\s*point))?\s+(?:above|beyond|past|higher\s+than|more\s+than|over|so\s+(?:it|i)\s+can)\b",
                ),
                Pat::new(&format!(
                    r"(?i)\b(?:over|above|beyond|past)\s+(?:the\s+|its\s+)?{LIMIT_NOUN}\b"
                ))
                .not_before(r"(?i)(?:not|never|n't|without|avoid|from)\s+(?:\w+\s+){0,3}$"),
            ],
            exc: Some(super::re(hypo)),
        },
        Simple {
            trigger: "unsafe_falsify_reading",
            subject: "records and readings",
            pats: vec![
                Pat::new(
                    r"(?i)\b(?:falsify(?:ing)?|fake|faking|fudge|fudging|forge|forging|doctor(?:ing)?|backdat(?:e|ing)|pencil[- ]?whip(?:ping)?|make\s+up|making\s+up|invent|fabricat(?:e|ing)|cook(?:ing)?)\s+(?:\w+\s+){0,3}?(?:readings?|records?|logs?|log\s*book|log\s+entr(?:y|ies)|inspections?|reports?|results?|numbers|values|measurements?|data|certificates?|certification|checklists?|calibration|test|tests|emissions|hours|hour\s*meter|odometer|mileage|service\s+history|maintenance\s+records?|signatures?|tags?|stickers?|pressure\s+test|leak\s+test|sign-?off)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:alter(?:ing)?|chang(?:e|ing)|edit(?:ing)?|adjust(?:ing)?|tweak(?:ing)?|massag(?:e|ing)|modify(?:ing)?|tamper(?:ing)?\s+with)\s+(?:the\s+|my\s+|our\s+|a\s+)?(?:\w+\s+){0,2}?(?:readings?|records?|logs?|log\s*book|inspection\s+(?:report|record|sheet|form|results?)|test\s+results?|calibration\s+(?:record|sticker|certificate|date)|certificates?|measurements?|data)\s+(?:so|to\s+(?:pass|show|look|read|say|make)|before\s+the\s+(?:inspector|audit|auditor|inspection)|that|because)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:sign(?:ing)?\s+off(?:\s+on)?|sign|mark(?:ing)?|record(?:ing)?|log(?:ging)?|writ(?:e|ing)(?:\s+down)?|enter(?:ing)?|check(?:ing)?\s+off|tick(?:ing)?|fill(?:ing)?\s+(?:out|in)|pass(?:ing)?|certify(?:ing)?)\b[^.?!]{0,60}?\bwithout\s+(?:actually\s+|really\s+)?(?:doing|performing|testing|checking|inspecting|measuring|running|completing|taking|looking)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:roll(?:ing)?\s+back|turn(?:ing)?\s+back|wind(?:ing)?\s+back|rewind(?:ing)?)\s+(?:the\s+)?(?:odometer|hour\s*meter|hourmeter|hours|mileage|clock)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:reset(?:ting)?|chang(?:e|ing))\s+(?:the\s+)?(?:odometer|hour\s*meter|hourmeter|mileage)\b[^.?!]{0,40}\b(?:so|to\s+hide|lower|before\s+(?:selling|sale|the\s+sale|inspection|returning|the\s+lease))\b",
                ),
                Pat::new(
                    r"(?i)\b(?:make|get)\s+(?:it|the\s+\w+(?:\s+test)?)\s+(?:pass|read\s+(?:ok|normal|good))\b[^.?!]{0,40}\bwithout\s+(?:fixing|repairing|replacing)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:write|put|enter|record|fill\s+in|log|mark)\b[^?!\n]{0,60}\b(?:nobody|no\s+one|no-one)\s+(?:will|would|is\s+going\s+to)\s+(?:check|know|notice|verify)\b",
                ),
                Pat::new(
                    r"(?i)\bmake\s+(?:the\s+|my\s+|our\s+|an?\s+)?(?:old\s+|expired\s+)?(?:inspection|calibration|certification|service)\s+(?:sticker|tag|record|certificate|log|date)\s+(?:look|appear|seem)\s+(?:current|valid|ok|okay|good|passed|new|up\s+to\s+date)\b",
                ),
                Pat::new(
                    r"(?i)\bwhat\s+(?:reading|value|number|pressure)\s+should\s+i\s+(?:write|put|enter|record)\s+(?:down\s+)?(?:so|if\s+(?:i|we)\s+(?:didn't|did\s+not|can't|never))\b",
                ),
            ],
            exc: Some(super::re(
                r"(?i)\b(?:how\s+(?:do|can)\s+(?:i|we|you|an?\s+(?:inspector|auditor))\s+(?:tell|detect|spot|know|prevent)|detect(?:ing)?\s+(?:a\s+)?(?:falsified|fake|forged)|is\s+it\s+illegal|penalt(?:y|ies)\s+for|why\s+is\s+it\s+illegal|correct\s+an?\s+(?:error|mistake))\b",
            )),
        },
        Simple {
            trigger: "unsafe_emissions_defeat",
            subject: "emissions controls",
            pats: vec![
                Pat::new(
                    r"(?i)\b(?:delet(?:e|ing)|tun(?:e|ing)\s+out|defeat(?:ing)?|bypass(?:ing)?|disabl(?:e|ing)|block(?:ing)?\s+off|gut(?:ting)?|hollow(?:ing)?\s+out)\s+(?:the\s+|my\s+)?(?:egr|dpf|def|scr|adblue|catalytic\s+converters?|cats?|emissions?(?:\s+(?:system|controls?|equipment))?|o2\s+sensors?|oxygen\s+sensors?|evap\s+system)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:egr|dpf|def|scr|cat|emissions?)\s+(?:delete|defeat|bypass|eliminator)\b|\bo2\s+(?:sensor\s+)?(?:spacer|simulator|defoul)er?\b",
                ),
            ],
            exc: Some(super::re(
                r"(?i)\b(?:is\s+it\s+(?:legal|illegal)|penalt(?:y|ies)|fines?\s+for|detect|what\s+happens\s+if)\b",
            )),
        },
        Simple {
            trigger: "unsafe_skip_lockout",
            subject: "lockout/tagout",
            pats: vec![
                Pat::new(
                    r"(?i)\b(?:without|skip(?:ping)?|bypass(?:ing)?|ignor(?:e|ing)|forgo(?:ing)?|not\s+bother(?:ing)?\s+(?:with|to)|no\s+need\s+(?:for|to)|don't\s+need\s+(?:to|a))\s+(?:the\s+|a\s+|any\s+)?(?:[\w'-]+\s+){0,2}?(?:lock(?:ing)?[- ]?out|lockout|loto|tag(?:ging)?[- ]?out|tagout|de-?energi[sz](?:e|ing)|isolat(?:e|ing)\s+(?:the\s+)?(?:power|energy|electricity)|(?:turning|shutting|switching)\s+off\s+(?:the\s+)?(?:power|breaker|disconnect|electricity)|disconnect(?:ing)?\s+(?:the\s+)?(?:power|battery|battery\s+cables?|negative\s+(?:battery\s+)?cable)|bleed(?:ing)?\s+(?:off\s+|down\s+)?(?:the\s+)?(?:pressure|hydraulics|accumulator)|discharg(?:e|ing)\s+the\s+capacitors?|releas(?:e|ing)\s+(?:the\s+)?(?:pressure|stored\s+energy))\b",
                ),
                Pat::new(
                    r"(?i)\b(?:work(?:ing)?\s+on|replac(?:e|ing)|repair(?:ing)?|remov(?:e|ing)|install(?:ing)?|swap(?:ping)?|rewir(?:e|ing)|wir(?:e|ing)\s+(?:in|up)|touch(?:ing)?|reach(?:ing)?\s+into|stick\s+(?:my|your)\s+hand\s+(?:in|into))\b[^.?!]{0,40}?\b(?:while|with)\s+(?:it(?:'s|\s+is)\s+(?:still\s+)?|the\s+(?:[\w-]+\s+){0,2}?(?:is|are)\s+(?:still\s+)?|(?:the\s+)?power\s+(?:is\s+)?(?:still\s+)?|it\s+(?:still\s+)?)?(?:energi[sz]ed|live|powered(?:\s+(?:up|on))?|running|under\s+pressure|pressuri[sz]ed|on)\b",
                ),
                Pat::new(
                    r"(?i)\b(?:open(?:ing)?|remov(?:e|ing)|take\s+off|loosen(?:ing)?|unscrew(?:ing)?)\s+(?:the\s+)?(?:radiator|coolant|pressure|expansion\s+tank|reservoir)\s+cap\b[^.?!]{0,30}\b(?:while|when)\s+(?:it(?:'s|\s+is)\s+|the\s+(?:engine|system)\s+is\s+)?(?:still\s+)?(?:hot|running|warm|boiling)\b",
                ),
            ],
            exc: Some(super::re(
                r"(?i)\b(?:measur\w*|check\w*|test\w*|read\w*|verify\w*|troubleshoot\w*)\s+(?:the\s+)?(?:voltage|amps?|amperage|current|readings?|pressures?|refrigerant|superheat|subcooling|charge)\b|\bwhy\s+(?:do\s+i\s+need|is\s+it\s+(?:important|required))|what\s+happens\s+if|never|don't|do\s+not|always",
            )),
        },
        Simple {
            trigger: "unsafe_work_under_load",
            subject: "supporting a raised load",
            pats: vec![
                Pat::new(
                    r"(?i)\b(?:work(?:ing)?|get(?:ting)?|crawl(?:ing)?|lie|lying|lay|stand(?:ing)?|walk(?:ing)?|reach(?:ing)?|go)\s+(?:\w+\s+){0,2}?under\b[^.?!]{0,40}?(?:(?:only|just)\s+(?:on|supported\s+by|held\s+(?:up\s+)?by)\s+(?:a\s+|the\s+)?(?:jack|floor\s+jack|bottle\s+jack|hydraulic\s+jack|forks|cinder\s+blocks?|bricks?)|raised\s+(?:forks|load|mast|bucket|boom|dump\s+bed|bed|carriage)|(?:forks|load|bucket|boom|carriage|mast)\s+(?:is\s+|are\s+)?(?:raised|up|in\s+the\s+air|lifted)|suspended\s+load|(?:with|using)\s+(?:just\s+|only\s+)?(?:a|the)\s+(?:floor\s+|bottle\s+|hydraulic\s+)?jack\b)",
                ),
                Pat::new(
                    r"(?i)\bwithout\s+(?:using\s+)?(?:any\s+)?(?:jack\s*stands|axle\s+stands|stands|blocking|cribbing|safety\s+(?:stands|props?|bars?|blocks?|supports?|pins?))\b",
                ),
            ],
            exc: Some(super::re(
                r"(?i)\b(?:never|don't|do\s+not|why\s+(?:should|shouldn't|must|is\s+it)|what\s+happens|dangers?\s+of|risks?\s+of|safely|with\s+(?:the\s+)?(?:safety\s+)?(?:blocks?|blocking|stands|jack\s*stands|axle\s+stands|props?|supports?|cribbing|pins?)|(?:properly\s+)?supported\s+(?:by|on)\s+(?:jack\s*|axle\s+)?stands)\b",
            )),
        },
        Simple {
            trigger: "unsafe_ferromagnetic_mri",
            subject: "the MRI magnet room",
            pats: vec![Pat::new(
                r"(?i)\b(?:bring(?:ing)?|take|taking|wheel(?:ing)?|carry(?:ing)?|use|using|roll(?:ing)?|move|moving|push(?:ing)?)\b[^.?!]{0,50}?\b(?:oxygen\s+(?:tanks?|cylinders?|bottles?)|o2\s+(?:tanks?|cylinders?|bottles?)|wheelchairs?|gurneys?|stretchers?|tools?|wrench(?:es)?|floor\s+buffers?|ladders?|mop\s+buckets?|vacuum(?:\s+cleaner)?|iv\s+poles?|scissors|pens?)\b[^.?!]{0,50}?\b(?:(?:mri|magnet|scan|scanner)\s+room|zone\s+(?:iv|4)|into\s+the\s+(?:mri|magnet|bore|scanner)|near\s+the\s+(?:magnet|mri|bore))\b",
            )],
            exc: Some(super::re(
                r"(?i)\b(?:mr[- ]?(?:safe|conditional)|mri[- ]?(?:safe|conditional|compatible)|non-?(?:ferrous|magnetic|ferromagnetic)|aluminum|aluminium|titanium|plastic|why\s+(?:can't|shouldn't|not)|never|don't|do\s+not|what\s+happens|out\s+of\s+the|from\s+the\s+(?:mri|magnet|scan|scanner)\s+room|remov\w*)\b",
            )),
        },
    ]
});

// ---------------------------------------------------------------------------------------------
// substitution

struct Sub {
    bad: Pat,
    target: Pat,
    /// Needs an explicit substitution phrase ("instead of", "in place of", "as a substitute").
    strict: bool,
    what: &'static str,
}

static SUB_LOOSE_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:instead\s+of|in\s+place\s+of|rather\s+than|substitut\w*|replac\w*\s+(?:\w+\s+){0,3}?with|swap\w*|top(?:ping)?\s+(?:\w+\s+){0,3}?(?:off|up)|fill\w*|use|using|used|put|putting|pour\w*|add|adding|run|running|charg\w*|mix\w*|as|with|patch\w*|seal\w*|fix\w*|repair\w*|wrap\w*|clean\w*|wash\w*|okay|ok|fine|work)\b",
    )
});
static SUB_STRICT_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:instead\s+of|in\s+place\s+of|rather\s+than|as\s+a\s+(?:substitute|replacement)|substitut\w*|replac\w*\s+(?:\w+\s+){0,3}?with|swap\w*\s+(?:\w+\s+){0,3}?(?:for|with)|top(?:ping)?\s+(?:\w+\s+){0,4}?(?:off|up)\b[^.?!]{0,30}?\bwith|charg\w*\s+(?:[\w-]+\s+){0,4}?with|(?:just|only|plain|straight)\s+water|as\s+(?:the\s+)?(?:coolant|antifreeze|refrigerant)|mix\w*\s+(?:\w+\s+){0,3}?(?:with|and|into))\b",
    )
});
static SUB_EXC: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:contaminat\w*|gets?\s+into|got\s+into|leak(?:ed|ing|s)?\s+into|flush\w*|drain\w*|get\s+rid|(?:test|check)(?:ing)?\s+(?:(?:the|a)\s+(?:[\w-]+\s+){0,2})?(?:for\s+)?(?:water|moisture|contamin\w*|acid|air|boiling\s+point)|milky|accidentally|by\s+mistake|someone\s+(?:put|added|used|filled|mixed)|what\s+happens\s+(?:if|when)|what\s+would\s+happen|why\s+(?:can't|shouldn't|not|is\s+it\s+bad)|never|don't|do\s+not|remov\w*\s+(?:the\s+)?(?:water|moisture|air)|moisture\s+content|absorb\w*)\b",
    )
});

static SUBS: LazyLock<Vec<Sub>> = LazyLock::new(|| {
    let s = |bad: &str, target: &str, strict, what| Sub {
        bad: Pat::new(bad),
        target: Pat::new(target),
        strict,
        what,
    };
    let hyd_target =
        r"(?i)\bhydraulic(?:\s+(?:oil|fluid|system|tank|reservoir|pump|cylinders?|lines?))?\b";
    vec![
        Sub {
            bad: Pat::new(
                r"(?i)\b(?:cooking|vegetable|olive|canola|corn|soybean|sunflower|frying|peanut|baby)\s+oil\b|\bdish\s+soap\b|\b(?:tap\s+|plain\s+)?water\b|\bbrake\s+fluid\b|\bdot\s?[345](?:\.1)?\b|\bdiesel(?:\s+fuel)?\b|\bkerosene\b|\bgasoline\b|\bpetrol\b|\bantifreeze\b",
            ),
            target: Pat::new(hyd_target).not_after(r"(?i)^\s*(?:brakes?|clutch|brake\s+system)\b"),
            strict: false,
            what: "hydraulic fluid",
        },
        s(
            r"(?i)\bhydraulic\s+(?:oil|fluid)\b|\b(?:motor|engine|gear)\s+oil\b|\bpower\s+steering\s+fluid\b|\btransmission\s+fluid\b|\batf\b|\b(?:cooking|vegetable)\s+oil\b|\b(?:tap\s+|plain\s+)?water\b|\bwd-?40\b",
            r"(?i)\bbrake\s+(?:fluid|system|reservoir|lines?|master\s+cylinder)\b|\bmaster\s+cylinder\b",
            false,
            "brake fluid",
        ),
        Sub {
            bad: Pat::new(r"(?i)\bdot\s?5\b").not_after(r"^\.1"),
            target: Pat::new(r"(?i)\bdot\s?[34]\b"),
            strict: true,
            what: "the specified DOT 3/4 brake fluid",
        },
        s(
            r"(?i)\b(?:tap\s+|plain\s+|straight\s+|just\s+|only\s+)?water\b",
            r"(?i)\b(?:coolant|antifreeze)\b",
            true,
            "coolant",
        ),
        s(
            r"(?i)\b(?:propane|butane|r-?290|r-?600a?|hydrocarbon\s+refrigerant|duracool|enviro-?safe|red\s*tek)\b",
            r"(?i)\b(?:r-?410a|r-?22|r-?134a|r-?32|r-?407c|refrigerant|system|rooftop\s+unit|rtu|heat\s+pump|a/?c|air\s+conditioner|condenser)\b",
            false,
            "the specified refrigerant",
        ),
        s(
            r"(?i)\br-?22\b",
            r"(?i)\br-?410a\b",
            false,
            "the specified refrigerant",
        ),
        s(
            r"(?i)\br-?410a\b",
            r"(?i)\br-?22\b",
            true,
            "the specified refrigerant",
        ),
        s(
            r"(?i)\b(?:oxygen|o2|acetylene|mapp(?:\s+gas)?)\b",
            r"(?i)\b(?:pressure[- ]test\w*|leak[- ]test\w*|pressuri[sz]\w*|purg\w*|blow\s+(?:out|through)\s+the\s+(?:lines?|system))\b",
            false,
            "dry nitrogen",
        ),
        s(
            r"(?i)\b(?:with|use|using|put|in|into|insert)\s+(?:a\s+|an\s+|some\s+)?(?:piece\s+of\s+)?(?:penny|coin|wire|foil|aluminum\s+foil|tin\s*foil|nail|bolt|screw|paper\s*clip|jumper|bullet|copper\s+wire|(?:bigger|larger|higher[- ]amp(?:erage)?|higher[- ]rated|oversized|heavier)\s+(?:fuse|breaker|one))\b",
            r"(?i)\b(?:fuses?|fuse\s+(?:holder|block|box|socket|slot)|breakers?)\b",
            false,
            "a fuse of the rating the manual specifies",
        ),
        s(
            r"(?i)\b(?:regular\s+|hardened\s+|grade\s+\d\s+|steel\s+)?(?:bolt|nail|screw|rod)\b",
            r"(?i)\bshear\s+(?:pins?|bolts?)\b",
            true,
            "the specified shear pin",
        ),
        s(
            r"(?i)\b(?:(?:a|the|just\s+a|only\s+a)\s+(?:floor\s+|bottle\s+|hydraulic\s+)?jack|cinder\s+blocks?|bricks?|wood(?:en)?\s+blocks?|milk\s+crates?)\b",
            r"(?i)\b(?:jack\s*stands?|axle\s+stands?)\b",
            true,
            "rated jack stands",
        ),
        s(
            r"(?i)\b(?:duct\s+tape|electrical\s+tape|tape|epoxy|jb\s*weld|rubber\s+hose|compression\s+fittings?|glue|sealant|putty)\b",
            r"(?i)\b(?:brake\s+(?:lines?|hoses?)|hydraulic\s+(?:lines?|hoses?)|fuel\s+lines?|gas\s+lines?|refrigerant\s+lines?|high[- ]pressure\s+(?:lines?|hoses?))\b",
            false,
            "a proper replacement line or fitting",
        ),
        s(
            r"(?i)\b(?:gasoline|petrol|white\s+gas)\b|\b(?:with|in|using|use)\s+gas\b",
            r"(?i)\b(?:clean\w*|wash\w*|degreas\w*|parts\s+washer|solvent)\b",
            false,
            "a non-flammable parts cleaner",
        ),
    ]
});

/// "the manual says I can use X as Y, right?": a claim to verify against the evidence (the
/// false-premise check answers it) rather than an intent to act.
static PREMISE_CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:manual|documentation|service\s+manual|spec\s+sheet|book|guide|instructions)\s+(?:\w+\s+){0,2}?(?:says?|said|states?|allows?|permits?|lets|mentions?|recommends?|approves?|lists?|shows?)\b",
    )
});
static PREMISE_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)(?:\b(?:right|correct|true|isn't\s+it|doesn't\s+it|yes|no)\s*\?+\s*$|\bis\s+that\s+(?:right|correct|true)\b|\bis\s+it\s+true\b|\bam\s+i\s+right\b|\bconfirm\b)",
    )
});

fn substitution(v: &str) -> Option<&'static str> {
    if SUB_EXC.is_match(v) {
        return None;
    }
    for s in SUBS.iter() {
        let frame = if s.strict {
            &*SUB_STRICT_FRAME
        } else {
            &*SUB_LOOSE_FRAME
        };
        if !frame.is_match(v) {
            continue;
        }
        let targets: Vec<(usize, usize)> =
            s.target.matches(v).map(|m| (m.start(), m.end())).collect();
        if targets.is_empty() {
            continue;
        }
        let found = s.bad.matches(v).any(|b| {
            let bad_text = b.as_str().to_ascii_lowercase();
            targets.iter().any(|&(ts, te)| {
                let overlap = b.start() < te && ts < b.end();
                let same = v[ts..te]
                    .to_ascii_lowercase()
                    .split_whitespace()
                    .eq(bad_text.split_whitespace());
                !overlap && !same
            })
        });
        if found {
            return Some(s.what);
        }
    }
    None
}

/// Fuse/breaker upsizing by number: "replace the 15 A breaker with a 30 A one".
static UPSIZE: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:replac\w*|swap\w*|upgrad\w*|chang\w*)\s+(?:the\s+|a\s+|my\s+)?(\d+)\s*-?\s*a(?:mps?)?\s+(?:fuse|breaker)s?\s+(?:with|for|to)\s+(?:a\s+|an\s+)?(\d+)\s*-?\s*a(?:mps?)?\b",
    )
});

static UPSIZE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:put|install|use|fit|swap\s+in|go\s+(?:up\s+)?to|replace\s+(?:it|the\s+\w+)\s+with)\s+(?:in\s+)?(?:a\s+|an\s+)?(?:bigger|larger|higher[- ]amp(?:erage)?|higher[- ]rated|oversized|heavier)\s+(?:fuse|breaker)s?\b",
    )
});

fn upsized(v: &str) -> bool {
    UPSIZE_WORDS.is_match(v)
        || UPSIZE.captures_iter(v).any(|c| {
            let a = c.get(1).and_then(|m| m.as_str().parse::<u32>().ok());
            let b = c.get(2).and_then(|m| m.as_str().parse::<u32>().ok());
            matches!((a, b), (Some(a), Some(b)) if b > a)
        })
}

/// Unsafe findings in the part, one per trigger.
pub(super) fn detect(t: &Text) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    let push = |out: &mut Vec<Hit>, trigger: &'static str, reason: String| {
        if !out.iter().any(|h| h.trigger == trigger) {
            out.push(Hit { trigger, reason });
        }
    };
    for v in &t.variants {
        if !EXC_ABOUT.is_match(v) {
            if let Some((device, is_test)) = device_hits(v, &t.context) {
                if !is_test {
                    push(
                        &mut out,
                        "unsafe_bypass_safety_device",
                        messages::refusal("unsafe_bypass_safety_device", &device),
                    );
                }
            }
        }
        for s in SIMPLE.iter() {
            if s.exc.as_ref().is_some_and(|e| e.is_match(v)) {
                continue;
            }
            if s.pats.iter().any(|p| p.is_match(v)) {
                push(&mut out, s.trigger, messages::refusal(s.trigger, s.subject));
            }
        }
        for (trigger, subject) in super::tamper::detect(v, &t.context) {
            push(&mut out, trigger, messages::refusal(trigger, &subject));
        }
        let claim = PREMISE_CLAIM.is_match(v) && PREMISE_QUESTION.is_match(v);
        if !claim {
            if let Some(what) = substitution(v) {
                push(
                    &mut out,
                    "unsafe_unapproved_substitution",
                    messages::refusal("unsafe_unapproved_substitution", what),
                );
            } else if upsized(v) {
                push(
                    &mut out,
                    "unsafe_unapproved_substitution",
                    messages::refusal(
                        "unsafe_unapproved_substitution",
                        "a fuse or breaker of the rating the manual specifies",
                    ),
                );
            }
        }
    }
    out
}

/// Notes that do not change the action: a documented device test, a claimed manual statement
/// to verify.
pub(super) fn informational(t: &Text) -> Vec<(&'static str, RiskLevel)> {
    let mut out = Vec::new();
    for v in &t.variants {
        let test = device_hits(v, &t.context).is_some_and(|(_, is_test)| is_test)
            || TEST_COMPOUND.is_match(v) && (ANY_DEVICE.is_match(v) || PRESSURE_SWITCH.is_match(v));
        if test
            && !out
                .iter()
                .any(|o: &(&str, RiskLevel)| o.0 == "safety_device_test")
        {
            let risk = if PER_MANUAL.is_match(v) {
                RiskLevel::Low
            } else {
                RiskLevel::Medium
            };
            out.push(("safety_device_test", risk));
        }
        let claim = PREMISE_CLAIM.is_match(v) && PREMISE_QUESTION.is_match(v);
        if claim && substitution_ignoring_claim(v) && !out.iter().any(|o| o.0 == "premise_claim") {
            out.push(("premise_claim", RiskLevel::Medium));
        }
    }
    out
}

fn substitution_ignoring_claim(v: &str) -> bool {
    substitution(v).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers(q: &str) -> Vec<&'static str> {
        detect(&Text::new(q))
            .into_iter()
            .map(|h| h.trigger)
            .collect()
    }

    #[test]
    fn defeating_devices_is_unsafe() {
        for q in [
            "How do I bypass the door interlock?",
            "jumper the high-pressure switch so the compressor keeps running",
            "Can the seat switch be bypassed?",
            "run the compressor without the high pressure switch",
            "how to disable the smoke detector",
            "bypass the fuse with a wire",
            "The interlock keeps tripping. How do I bypass it?",
            "remove the blade guard and run the saw",
        ] {
            assert!(
                triggers(q).contains(&"unsafe_bypass_safety_device")
                    || triggers(q).contains(&"unsafe_unapproved_substitution"),
                "{q}: {:?}",
                triggers(q)
            );
        }
    }

    #[test]
    fn parts_named_after_verbs_are_not() {
        for q in [
            "Where is the bypass valve on the condenser?",
            "What does the override switch do?",
            "kill switch wiring",
            "How do I disable the heater for summer operation?",
            "jump start procedure",
            "How do I reset the high-pressure switch after it trips?",
            "remove the belt guard to replace the belt",
            "How do I fix the interlock without bypassing it?",
            "How can I tell if the interlock has been bypassed?",
            "How do I turn off the breaker before servicing?",
            "Why does the compressor short cycle?",
            "disable the SRS before removing the steering wheel",
            "How do I bypass-test the pressure switch per the manual?",
        ] {
            assert!(triggers(q).is_empty(), "{q}: {:?}", triggers(q));
        }
    }
}
