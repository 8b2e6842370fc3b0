//! Emergencies: life safety happening *now*.
//!
//! The distinction that matters is tense and framing, not vocabulary. "There's smoke coming from
//! the unit right now" is an emergency; "How do I check for smoke from the exhaust?", "What
//! causes white smoke at startup?" and "Describe the fire suppression system" are not. So each
//! hazard pattern describes a *present-tense situation* ("is on fire", "smoke is pouring out",
//! "the operator is unconscious", "my brakes failed on the highway"), and each hit is then
//! checked against its sentence:
//!
//! * a hypothetical or diagnostic frame before it ("if", "in case of", "what causes", "how do I
//!   check for", "when …") cancels it;
//! * a habitual or past frame ("at startup", "every time", "last week") cancels it unless an
//!   immediacy cue says otherwise ("right now", "help!", "what do I do?");
//! * a negation right before it ("the unit is not on fire") cancels it;
//! * soft hazards (a burning smell, sparks, smoke near a location) need an immediacy cue; brake,
//!   steering and throttle failures need a driving context; a liquid-fuel leak needs an
//!   ignition source nearby.

use super::{sentence_context, Pat, Text};
use regex::Regex;
use std::sync::LazyLock;

#[derive(Clone, Copy)]
enum Need {
    /// A present-tense statement is enough.
    Strong,
    /// Needs an immediacy cue.
    Soft,
    /// Needs a driving context or an immediacy cue.
    Driving,
    /// Needs an ignition source or an immediacy cue.
    Ignition,
}

struct Hazard {
    kind: &'static str,
    pat: Pat,
    need: Need,
    /// A location in the same sentence that makes the hit ordinary (engine smoke out of the
    /// exhaust is a diagnosis, not a fire).
    benign_near: Option<Regex>,
}

const PERSON: &str = r"(?:someone|somebody|anyone|a\s+person|the\s+person|person|people|a\s+man|a\s+woman|man|woman|guy|(?:the\s+|an?\s+|our\s+|my\s+)?(?:operator|worker|coworker|co-worker|colleague|tech|technician|mechanic|driver|patient|child|kid|passenger|helper|apprentice|electrician|installer|friend|partner|buddy|son|daughter|wife|husband|dad|father|mom|mother|boss)|he|she|they|i|i'm|im|we)";

static HAZARDS: LazyLock<Vec<Hazard>> = LazyLock::new(|| {
    let h = |kind, pat: Pat, need| Hazard {
        kind,
        pat,
        need,
        benign_near: None,
    };
    let exhaust = super::re(
        r"(?i)\b(?:exhaust|tail\s*pipe|muffler|smokestack|stack|flue|chimney|dpf|vent\s+pipe|welder|welding|soldering|grill|fog\s+machine|smoke\s+machine|incense|cigarettes?|vape)\b",
    );
    let burner = super::re(r"(?i)\b(?:burner|pilot|torch|igniter|stove|candle)\b");
    let fire_nouns = r"^\s*(?:extinguishers?|suppression|alarms?|dampers?|doors?|walls?|rating|code|hazard|risk|safety|protection|sprinklers?|blankets?|exits?|marshal|department|truck|hose|hydrant|drill|watch|prevention|resistant|retardant|proof|point|ring|order|box)\b";
    vec![
        // fire
        h("emergency_fire", Pat::new(r"(?i)\b(?:on\s+fire|in\s+flames|ablaze|engulfed\s+in)\b"), Need::Strong),
        h("emergency_fire", Pat::new(r"(?i)\b(?:caught|catching|catches|burst\s+into|bursting\s+into|broke\s+out\s+in)\s+(?:on\s+)?(?:fire|flames?)\b"), Need::Strong),
        h("emergency_fire", Pat::new(r"(?i)\b(?:there(?:'s|\s+is|\s+are|s)|i\s+(?:can\s+)?see|we\s+(?:have|got)|i\s+have|seeing|got)\s+(?:a\s+|an\s+|some\s+)?(?:small\s+|big\s+|huge\s+|little\s+|electrical\s+|engine\s+|battery\s+|wiring\s+)?(?:fire|flames?)\b").not_after(fire_nouns), Need::Strong),
        h("emergency_fire", Pat::new(r"(?i)\bfire\s+(?:in|at|under|inside|behind|on|near|coming\s+from)\s+(?:the|my|our|a|an|this)\b").not_before(r"(?i)\b(?:fight|extinguish|suppress|put\s+out|for|can|could|of|about|from|cause|causes|prevent)\w*\s+(?:an?\s+)?$"), Need::Strong),
        Hazard {
            kind: "emergency_fire",
            pat: Pat::new(r"(?i)\b(?:flames?|fire)\s+(?:is\s+|are\s+)?(?:coming|shooting|pouring|spreading|growing|leaping|rolling)\b"),
            need: Need::Strong,
            benign_near: Some(burner.clone()),
        },
        h("emergency_fire", Pat::new(r"(?i)\b(?:is|are|'s|it's|something's|something\s+is)\s+burning\b").not_after(r"(?i)^\s*(?:oil|coolant|antifreeze|fuel|gas|rich|lean|through|out|up|bulbs|fuses|clean|off|hot|cold)\b"), Need::Strong),
        h("emergency_fire", Pat::new(r"(?i)\b(?:burning\s+(?:smell|odou?r)|smell(?:s|ing)?\s+(?:of\s+|like\s+)?(?:something\s+)?burning|smell\s+(?:of\s+)?smoke)\b"), Need::Soft),
        h("emergency_fire", Pat::new(r"(?i)(?:\bhay\s+fuego|\best[áa]\s+en\s+llamas|\bse\s+est[áa]\s+quemando|\bil\s+y\s+a\s+(?:le\s+)?feu|\bau\s+feu\b|\best\s+en\s+feu|\bes\s+brennt|\bfeuer\s+im|пожар|горит)"), Need::Strong),
        // smoke
        Hazard {
            kind: "emergency_smoke",
            pat: Pat::new(r"(?i)\b(?:there(?:'s|\s+is|\s+are|s)|i\s+(?:can\s+)?see|we\s+(?:have|got)|seeing|lots\s+of|thick|heavy|dense)\s+(?:some\s+|a\s+lot\s+of\s+|a\s+little\s+|lots\s+of\s+)?(?:black\s+|white\s+|gr[ae]y\s+|blue\s+)?smoke\b").not_after(r"(?i)^\s*(?:tests?|detectors?|alarms?|machine|pen|stick|generator|dampers?|evacuation)\b"),
            need: Need::Strong,
            benign_near: Some(exhaust.clone()),
        },
        Hazard {
            kind: "emergency_smoke",
            pat: Pat::new(r"(?i)\bsmoke\s+(?:is\s+|are\s+|keeps\s+|started\s+|starts\s+)?(?:coming|pouring|billowing|rising|filling|spewing|puffing|streaming|everywhere|seeping|leaking|coming\s+out)\b"),
            need: Need::Strong,
            benign_near: Some(exhaust.clone()),
        },
        Hazard {
            kind: "emergency_smoke",
            pat: Pat::new(r"(?i)\b(?:is|are|'s|it's|its|started|starting|began|keeps|now)\s+smoking\b").not_after(r"(?i)^\s*(?:section|area|policy|permitted|allowed|break)\b"),
            need: Need::Strong,
            benign_near: Some(exhaust.clone()),
        },
        Hazard {
            kind: "emergency_smoke",
            pat: Pat::new(r"(?i)\bsmoke\s+(?:from|out\s+of|in)\s+(?:the|my|our|this)\b"),
            need: Need::Soft,
            benign_near: Some(exhaust),
        },
        h("emergency_smoke", Pat::new(r"(?i)(?:\bhay\s+humo|\bsale\s+humo|\bil\s+y\s+a\s+de\s+la\s+fum[ée]e|\bes\s+raucht|дым)"), Need::Strong),
        // gas / fuel
        h("emergency_gas_leak", Pat::new(r"(?i)\b(?:smell(?:s|ing)?|odou?r\s+of)\s+(?:natural\s+|propane\s+|lp\s+|lpg\s+|the\s+|strong\s+|raw\s+)?(?:gas|propane|mercaptan|rotten\s+eggs?)\b").not_after(r"(?i)^\s*(?:fumes\s+from|from\s+the\s+exhaust|exhaust)"), Need::Strong),
        h("emergency_gas_leak", Pat::new(r"(?i)\b(?:(?:gas|propane)\s+(?:smell|odou?r)|smells?\s+like\s+(?:natural\s+)?(?:gas|propane|rotten\s+eggs?))\b").not_before(r"(?i)exhaust\s+$"), Need::Strong),
        h("emergency_gas_leak", Pat::new(r"(?i)\b(?:natural\s+gas|propane|lpg|lp\s+gas|gas\s+line|gas\s+pipe|gas)\s+(?:is\s+|are\s+)?(?:leaking|spraying|pouring|gushing|spewing|hissing|escaping|everywhere)\b").not_before(r"(?i)(?:exhaust|flue|refrigerant|inert|shielding|tracer)\s+$"), Need::Strong),
        h("emergency_gas_leak", Pat::new(r"(?i)\b(?:there(?:'s|\s+is|s)|i\s+have|we\s+have|got)\s+(?:a\s+)?(?:big\s+|bad\s+|major\s+|huge\s+|massive\s+)?(?:natural\s+gas|propane|gas)\s+leak\b"), Need::Strong),
        h("emergency_gas_leak", Pat::new(r"(?i)\b(?:is|are|'s|it's)\s+(?:leaking|spraying|hissing|venting|spewing)\s+(?:natural\s+gas|propane|lpg|lp\s+gas|gas)\b"), Need::Strong),
        h("emergency_gas_leak", Pat::new(r"(?i)\b(?:fuel|gasoline|petrol|diesel|hydraulic\s+fluid|oil)\s+(?:is\s+|are\s+)?(?:leaking|spraying|pouring|gushing|spewing|dripping|everywhere)\b|\b(?:there(?:'s|\s+is|s)|i\s+have|we\s+have|got)\s+(?:a\s+)?(?:big\s+|bad\s+|major\s+|huge\s+)?(?:fuel|gasoline|petrol|diesel)\s+leak\b|\b(?:leaking|spraying|pouring|dripping)\s+(?:fuel|gasoline|petrol|diesel)\b"), Need::Ignition),
        // people
        h("emergency_person_down", Pat::new(r"(?i)\b(?:unconscious|passed\s+out|not\s+breathing|isn't\s+breathing|stopped\s+breathing|no\s+pulse|cardiac\s+arrest|heart\s+attack|having\s+a\s+seizure|fainted|electrocuted|went\s+into\s+shock|(?:man|person|worker)\s+down)\b"), Need::Strong),
        h("emergency_person_down", Pat::new(r"(?i)\bknocked\s+out\b").not_after(r"(?i)^\s*(?:the\s+)?(?:power|breaker|circuit|fuse|lights?|pin|bearing|seal)"), Need::Strong),
        h("emergency_person_down", Pat::new(&format!(r"(?i)\b{PERSON}\s+(?:is\s+|are\s+|was\s+|has\s+|just\s+|'s\s+|has\s+just\s+|suddenly\s+)?(?:collapsed|unresponsive|not\s+responding|won't\s+wake\s+up|isn't\s+moving|is\s+not\s+moving|not\s+moving|dizzy\s+and\s+(?:confused|collapsed|vomiting))\b")), Need::Strong),
        h("emergency_person_injured", Pat::new(&format!(r"(?i)\b{PERSON}\s+(?:is\s+|are\s+|was\s+|got\s+|has\s+been\s+|just\s+got\s+|'s\s+|'re\s+|is\s+being\s+|am\s+|'m\s+|just\s+)?(?:trapped|pinned|crushed|stuck\s+(?:under|in|between|inside)|caught\s+(?:in|under|between)|pulled\s+into|bleeding|badly\s+(?:hurt|injured|burned|burnt|cut)|seriously\s+(?:hurt|injured|burned)|injured|hurt|burned|burnt|scalded|shocked|run\s+over|hit\s+by|struck\s+by|fell|has\s+fallen|fallen|impaled|overcome\s+by)\b")).not_after(r"(?i)^\s*(?:the\s+|off\s+the\s+)?(?:brakes?|air|lines?|system|radiator|fuel|hydraulics?|calipers?|cylinders?|injectors?|coolant|price|cost|bill|to|that|at|how|by\s+the\s+(?:price|cost|bill))\b"), Need::Strong),
        h("emergency_person_injured", Pat::new(r"(?i)\b(?:my|his|her|their|someone's|somebody's|the\s+operator's|the\s+worker's|a)\s+(?:hand|arm|finger|fingers|leg|foot|hair|sleeve|clothing|glove|head)\s+(?:is\s+|got\s+|was\s+|are\s+|just\s+got\s+)?(?:caught|stuck|trapped|pinned|crushed|pulled\s+in|cut\s+off|severed)\b"), Need::Strong),
        h("emergency_person_injured", Pat::new(r"(?i)\b(?:forklift|truck|lift|load|machine|unit|crane|vehicle)\s+(?:just\s+)?(?:tipped\s+over|fell)\s+on\s+(?:someone|somebody|a\s+person|him|her|the\s+operator|a\s+worker|my)\b"), Need::Strong),
        // vehicle control failures while driving
        h("emergency_brake_failure_driving", Pat::new(r"(?i)\b(?:brakes?|brake\s+pedal|brake\s+system)\s+(?:just\s+|suddenly\s+|completely\s+|totally\s+)?(?:failed|fail(?:ing)?|gone|went\s+out|are\s+out|is\s+out|not\s+working|aren't\s+working|are\s+not\s+working|don't\s+work|doesn't\s+work|stopped\s+working|quit|went\s+(?:to\s+the\s+floor|soft)|goes\s+to\s+the\s+floor|is\s+going\s+to\s+the\s+floor|sank|sinking|gave\s+out|giving\s+out|no\s+longer\s+work|won't\s+stop)\b").not_after(r"(?i)^\s*(?:the\s+|its\s+|an?\s+|my\s+|state\s+)?(?:inspection|test|check|emissions|smog)"), Need::Driving),
        h("emergency_brake_failure_driving", Pat::new(r"(?i)\b(?:lost|losing|lose|have\s+no|got\s+no|there\s+are\s+no)\s+(?:my\s+|the\s+|all\s+|our\s+)?brakes\b|\bno\s+brakes\b|\b(?:can't|cannot|can\s+not)\s+stop\s+(?:the\s+)?(?:car|truck|vehicle|forklift|van|bus|it)\b"), Need::Driving),
        h("emergency_steering_failure_driving", Pat::new(r"(?i)\bsteering\s+(?:just\s+|suddenly\s+|completely\s+)?(?:failed|locked(?:\s+up)?|gone|went\s+out|is\s+out|not\s+working|stopped\s+working|failing|seized|froze|is\s+frozen)\b|\b(?:lost|losing|have\s+no|no)\s+(?:my\s+|the\s+|all\s+)?steering\b|\bcan'?t\s+steer\b"), Need::Driving),
        h("emergency_stuck_accelerator", Pat::new(r"(?i)\b(?:accelerator|gas\s+pedal|throttle)\s+(?:pedal\s+)?(?:is\s+|got\s+|just\s+)?(?:stuck|jammed|won't\s+(?:release|come\s+back|return))\b|\bstuck\s+(?:accelerator|throttle|gas\s+pedal)\b|\bunintended\s+acceleration\b|\b(?:car|truck|vehicle|forklift)\s+(?:is\s+|keeps\s+)?accelerating\s+(?:by\s+itself|on\s+its\s+own)\b"), Need::Driving),
        h("emergency_runaway_engine", Pat::new(r"(?i)\b(?:engine|diesel|motor)\s+(?:is\s+)?(?:running\s+away|racing\s+and\s+won't\s+(?:shut\s+off|stop))\b|\brunaway\s+(?:diesel|engine)\b"), Need::Strong),
        // atmosphere, magnets, electricity
        h("emergency_carbon_monoxide", Pat::new(r"(?i)\b(?:co|carbon\s+monoxide)\s+(?:alarm|detector|monitor)s?\s+(?:is\s+|are\s+|keeps\s+|just\s+|started\s+)?(?:going\s+off|sounding|alarming|beeping)\b"), Need::Strong),
        h("emergency_carbon_monoxide", Pat::new(r"(?i)\b(?:dizzy|headaches?|nause(?:a|ous)|light-?headed|drowsy|vomiting)\b[^.?!]{0,60}\b(?:fumes|exhaust|carbon\s+monoxide|co\s+(?:alarm|detector))\b|\b(?:fumes|exhaust|carbon\s+monoxide)\b[^.?!]{0,60}\b(?:dizzy|headaches?|nause(?:a|ous)|light-?headed|drowsy|vomiting|passing\s+out)\b"), Need::Strong),
        h("emergency_mri_quench", Pat::new(r"(?i)\b(?:magnet|mri|scanner)\s+(?:is\s+|just\s+|has\s+)?(?:quenching|venting)\b|\bhelium\s+(?:is\s+)?(?:venting|leaking|pouring|filling|escaping)\s+(?:into|in|out)\b|\b(?:oxygen|o2)\s+(?:level\s+)?(?:monitor\s+)?(?:alarm|monitor|sensor)\s+(?:is\s+|keeps\s+|just\s+)?(?:going\s+off|alarming|sounding)\b|\bquench\s+(?:is\s+)?(?:happening|in\s+progress|occurring)\b"), Need::Strong),
        h("emergency_electrical_arcing", Pat::new(r"(?i)\b(?:is|are|'s|it's|started|keeps)\s+arcing\b|\b(?:sparks|arcs?)\s+(?:are\s+)?(?:flying|shooting|coming\s+out)\b"), Need::Strong),
        h("emergency_electrical_arcing", Pat::new(r"(?i)\b(?:is|are|'s|it's|started|keeps)\s+sparking\b"), Need::Soft),
    ]
});

static IMMEDIACY: LazyLock<Vec<Pat>> = LazyLock::new(|| {
    vec![
        Pat::new(r"(?i)\b(?:right\s+now|as\s+we\s+speak|at\s+the\s+moment|currently|hurry|urgent(?:ly)?|asap|911|112|999|immediately|still\s+(?:burning|smoking|leaking|on\s+fire|sparking|arcing)|just\s+(?:started|caught|collapsed|failed|passed|went|happened|fell|gave)|is\s+happening)\b"),
        Pat::new(r"(?i)\bnow\b").not_after(r"(?i)^\s*(?:that|on|and\s+then)\b"),
        Pat::new(r"(?i)(?:\bhelp\s*!|^\W*help\b|please\s+help\b|\bsos\b|!!)"),
        Pat::new(r"(?i)\bemergency\b").not_after(r"(?i)^\s*(?:stop|brakes?|lights?|lighting|exits?|shutdown|shut-?off|procedures?|generator|power|release|button|switch|mode|lowering|descent|kit|run|off|eyewash|shower|services?\s+(?:number|contact))"),
        Pat::new(r"(?i)\bwhat\s+(?:do|should|can|must)\s+(?:i|we)\s+do\b").not_after(r"(?i)^\s*(?:if|when|in\s+case|about|to\s+prevent|next\s+time)\b"),
    ]
});

/// A frame before the hit, in the same sentence, that makes it hypothetical or diagnostic.
static HYPO: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)(?:\b(?:if|in\s+case|in\s+the\s+event|what\s+causes|what\s+would\s+cause|what\s+can\s+cause|what\s+could\s+cause|causes?\s+of|cause|would|might|suppose|imagine|prevent(?:s|ing|ion)?|avoid(?:ing)?|what\s+to\s+do|what\s+(?:should|do|must)\s+(?:i|we|you)\s+do\s+(?:if|when)|whenever|how\s+(?:do|can|would|should)\s+(?:i|we|you)\s+(?:check|test|inspect|detect|diagnose|identify|tell|know|recogni[sz]e|spot|prevent|avoid|look)|how\s+to\s+(?:check|test|inspect|detect|diagnose|identify|tell|know|recogni[sz]e|spot|prevent|avoid|respond|handle)|signs?\s+(?:of|that)|symptoms?\s+of|risk\s+of|danger\s+of|chance\s+of|training|drill|simulat\w*|scenario|hypothetical\w*|procedure\s+for|protocol\s+for|checklist\s+for|plan\s+for|response\s+to|test\s+for|check\s+for|inspect\s+for|look\s+for|what\s+happens|does\s+the\s+manual)\b|(?:^|[,:]\s*)\s*when\b)",
    )
});

/// A habitual or past frame anywhere in the sentence.
static HABITUAL: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:when(?:ever)?\s+(?:i|we|you|it|starting|running|idling|cold|first|the\s+engine\s+(?:is\s+)?(?:cold|starting|first))|every\s+time|each\s+time|sometimes|occasionally|intermittently|at\s+(?:start-?up|idle|cold\s+start)|on\s+(?:start-?up|cold\s+start)|(?:during|after)\s+(?:start-?up|startup|warm-?up|a\s+cold\s+start|the\s+first|ignition|light-?off|operation)|(?:on|at)\s+(?:ignition|light-?off)|for\s+a\s+few\s+(?:seconds|minutes)|briefly|used\s+to|yesterday|last\s+(?:week|night|month|time|year)|earlier\s+today|ago|in\s+the\s+past)\b",
    )
});

/// Negation immediately before the hit.
static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    super::re(r"(?i)\b(?:not|never|no|isn't|aren't|wasn't|weren't|without|nothing)\s+(?:\w+\s+)?$")
});

static DRIVING: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:(?:while|i'?m|i\s+am|we'?re|we\s+are|currently|still|was|were)\s+(?:driving|moving|rolling|going|descending|towing|travell?ing|on\s+the\s+(?:highway|freeway|road|interstate|motorway))|on\s+the\s+(?:highway|freeway|interstate|motorway|road|hill|ramp|expressway)|at\s+speed|(?:going|rolling|heading)\s+down(?:hill|\s+a\s+hill|\s+the\s+hill)?|downhill|in\s+traffic|can'?t\s+stop|cannot\s+stop|won'?t\s+stop|right\s+now|\d+\s*(?:mph|km/?h|kph)|mph|while\s+(?:driving|moving|towing|descending|carrying))\b",
    )
});

static IGNITION: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)\b(?:spark(?:s|ing)?|flames?|pilot|lit|ignition\s+source|cigarette|smoking|hot\s+(?:exhaust|manifold|engine|surface|turbo|muffler)|onto\s+the\s+(?:exhaust|manifold|engine|turbo|muffler)|on\s+(?:the\s+)?(?:hot|exhaust|manifold|turbo)|arcing|engine\s+(?:is\s+)?running|heater|furnace|burner|welding|torch|grinder|smoke|fire)\b",
    )
});

/// Emergency kinds present in the part (trigger names), most specific first.
pub(super) fn detect(t: &Text) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for v in &t.variants {
        let immediate = IMMEDIACY.iter().any(|p| p.is_match(v));
        let driving = DRIVING.is_match(v);
        let ignition = IGNITION.is_match(v);
        for h in HAZARDS.iter() {
            if out.contains(&h.kind) {
                continue;
            }
            let hit = h.pat.matches(v).any(|m| {
                let (pre, post) = sentence_context(v, m.start(), m.end());
                if NEGATED.is_match(pre) {
                    return false;
                }
                if h.benign_near
                    .as_ref()
                    .is_some_and(|b| b.is_match(pre) || b.is_match(post))
                {
                    return false;
                }
                if HYPO.is_match(pre) {
                    return false;
                }
                let habitual = HABITUAL.is_match(pre) || HABITUAL.is_match(post);
                let present = immediate || !habitual;
                match h.need {
                    Need::Strong => present,
                    Need::Soft => immediate,
                    Need::Driving => (driving || immediate) && present,
                    Need::Ignition => (ignition || immediate) && present,
                }
            });
            if hit {
                out.push(h.kind);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<&'static str> {
        detect(&Text::new(q))
    }

    #[test]
    fn present_tense_situations_are_emergencies() {
        for (q, k) in [
            (
                "there's smoke coming from the unit right now",
                "emergency_smoke",
            ),
            (
                "my brakes failed on the highway",
                "emergency_brake_failure_driving",
            ),
            (
                "the operator is unconscious next to the MRI",
                "emergency_person_down",
            ),
            (
                "I smell gas near the furnace and there's a spark",
                "emergency_gas_leak",
            ),
            ("fire in the engine bay", "emergency_fire"),
        ] {
            assert!(kinds(q).contains(&k), "{q}: {:?}", kinds(q));
        }
    }

    #[test]
    fn questions_about_hazards_are_not() {
        for q in [
            "How do I check for smoke from the exhaust?",
            "What causes brake failure?",
            "What causes white smoke at startup?",
            "Describe the fire suppression system",
            "fire extinguisher inspection interval",
            "How do I bleed the brakes?",
            "What should I do if the engine catches fire?",
            "My brakes failed inspection, what do I replace?",
            "There is no smoke, but the breaker trips",
            "How do I perform a smoke test on the EVAP system?",
            "Why is the engine burning oil?",
        ] {
            assert!(kinds(q).is_empty(), "{q}: {:?}", kinds(q));
        }
    }
}
