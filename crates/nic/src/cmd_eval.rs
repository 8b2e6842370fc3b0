//! `nic eval FILE.jsonl`: runs every question of an evaluation file through the whole answer
//! pipeline (extractive, no LLM — exactly what `nic ask --mode extractive` does) and scores
//! the responses: right status, required phrases present, the expected document and page
//! cited. Prints a table per kind and split, the failing questions, optionally a JSON report,
//! the difference against an earlier report, and checks floors (exit code 1 below a floor).

use anyhow::{Context, Result};
use clap::Args;
use nic_core::NicConfig;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The evaluation file: one JSON object per line (id, question, kind, status, root, doc,
    /// pages, must_contain, split).
    pub file: PathBuf,
    /// Write the report (per-question results and summary) to this JSON file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// An earlier `--json` report: print the change of every figure and of every question.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Only these questions: tune, heldout or all.
    #[arg(long, default_value = "all")]
    pub split: String,
    /// Exit 1 when the useful share of answerable questions is below this (0..1).
    #[arg(long)]
    pub min_useful: Option<f64>,
    /// Exit 1 when the abstained share of unanswerable+unrelated questions is below this.
    #[arg(long)]
    pub min_abstain: Option<f64>,
    /// Exit 1 when the complete share of procedure questions is below this.
    #[arg(long)]
    pub min_complete: Option<f64>,
    /// List every failing question (default: at most 40 lines).
    #[arg(long)]
    pub verbose: bool,
}

// ---------------------------------------------------------------------------------------
// The evaluation file

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Procedure,
    Specification,
    Diagnosis,
    Code,
    Safety,
    Emergency,
    Unanswerable,
    Unrelated,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Procedure,
        Kind::Specification,
        Kind::Diagnosis,
        Kind::Code,
        Kind::Safety,
        Kind::Emergency,
        Kind::Unanswerable,
        Kind::Unrelated,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Procedure => "procedure",
            Kind::Specification => "specification",
            Kind::Diagnosis => "diagnosis",
            Kind::Code => "code",
            Kind::Safety => "safety",
            Kind::Emergency => "emergency",
            Kind::Unanswerable => "unanswerable",
            Kind::Unrelated => "unrelated",
        }
    }

    fn should_abstain(self) -> bool {
        matches!(self, Kind::Unanswerable | Kind::Unrelated)
    }
}

/// The expected status, spelled as `nic_answer::Status::as_str` spells it ("abstained" is
/// the not-found status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    Answered,
    Abstained,
    Refused,
    Emergency,
}

impl Expected {
    fn as_str(self) -> &'static str {
        match self {
            Expected::Answered => "answered",
            Expected::Abstained => "abstained",
            Expected::Refused => "refused",
            Expected::Emergency => "emergency",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Root {
    Corpus,
    Examples,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Tune,
    Heldout,
}

impl Split {
    fn as_str(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Heldout => "heldout",
        }
    }
}

/// One line of the evaluation file. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalQuestion {
    pub id: String,
    pub question: String,
    pub kind: Kind,
    pub status: Expected,
    pub root: Root,
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub pages: Vec<u32>,
    #[serde(default)]
    pub must_contain: Vec<String>,
    #[serde(default)]
    pub split: Option<Split>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Parses the whole file; every malformed line is reported with its 1-based number.
pub fn parse_questions(text: &str, source: &str) -> Result<Vec<EvalQuestion>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<EvalQuestion>(line) {
            Ok(q) => {
                if q.id.trim().is_empty() {
                    errors.push(format!("{source}:{n}: empty \"id\""));
                } else if q.question.trim().is_empty() {
                    errors.push(format!("{source}:{n}: empty \"question\" (id {})", q.id));
                } else if let Some(first) = seen.get(&q.id) {
                    errors.push(format!(
                        "{source}:{n}: id {:?} already used on line {first}",
                        q.id
                    ));
                } else {
                    seen.insert(q.id.clone(), n);
                    out.push(q);
                }
            }
            Err(e) => errors.push(format!("{source}:{n}: {e}")),
        }
    }
    if !errors.is_empty() {
        anyhow::bail!(
            "{} malformed line(s) in the evaluation file:\n  {}",
            errors.len(),
            errors.join("\n  ")
        );
    }
    anyhow::ensure!(!out.is_empty(), "{source}: no questions");
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Scoring

/// Lowercases, folds typographic quotes and dashes to ASCII and whitespace runs to one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => out.push('"'),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => out.push('-'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn components(p: &str) -> Vec<&str> {
    p.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// The index's doc path (relative to the ingested root) ends with the eval's doc path
/// (relative to its root), compared by whole path components.
pub fn doc_matches(index_doc: &str, eval_doc: &str) -> bool {
    let want = components(eval_doc);
    !want.is_empty() && components(index_doc).ends_with(&want)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cited {
    pub doc: String,
    pub page: u32,
    pub section: String,
}

/// What the pipeline said about one question, reduced to what the scoring needs.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `Status::as_str`, or "error" when the pipeline failed.
    pub status: String,
    pub answer: String,
    pub confidence: f32,
    pub cited: Vec<Cited>,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionResult {
    pub id: String,
    pub question: String,
    pub kind: Kind,
    pub root: Root,
    pub split: Option<Split>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub expected: String,
    pub got: String,
    pub status_ok: bool,
    pub missing: Vec<String>,
    /// None when the question names no document.
    pub citation_ok: Option<bool>,
    pub useful: bool,
    /// Procedures only: answered with every required phrase (first and last steps).
    pub complete: Option<bool>,
    pub false_abstention: bool,
    pub wrongly_answered: bool,
    pub refused_legit: bool,
    pub doc: Option<String>,
    pub pages: Vec<u32>,
    pub cited: Vec<Cited>,
    pub confidence: f32,
    pub ms: f64,
    pub answer: String,
}

pub fn score(q: &EvalQuestion, o: &Outcome) -> QuestionResult {
    let expected = q.status.as_str();
    let status_ok = o.status == expected;
    let answer = fold(&o.answer);
    let missing: Vec<String> = q
        .must_contain
        .iter()
        .filter(|p| !answer.contains(&fold(p)))
        .cloned()
        .collect();
    let citation_ok = q.doc.as_ref().map(|d| {
        o.cited
            .iter()
            .any(|c| doc_matches(&c.doc, d) && (q.pages.is_empty() || q.pages.contains(&c.page)))
    });
    let useful = status_ok && missing.is_empty() && citation_ok != Some(false);
    let answered = o.status == "answered";
    QuestionResult {
        id: q.id.clone(),
        question: q.question.clone(),
        kind: q.kind,
        root: q.root,
        split: q.split,
        note: q.note.clone(),
        expected: expected.into(),
        got: o.status.clone(),
        status_ok,
        complete: (q.kind == Kind::Procedure).then_some(answered && missing.is_empty()),
        missing,
        citation_ok,
        useful,
        false_abstention: q.status == Expected::Answered && o.status == "abstained",
        // Anything but abstained/refused/emergency counts as an answer.
        wrongly_answered: q.status == Expected::Abstained
            && !matches!(o.status.as_str(), "abstained" | "refused" | "emergency"),
        refused_legit: q.status == Expected::Answered && o.status == "refused",
        doc: q.doc.clone(),
        pages: q.pages.clone(),
        cited: o.cited.clone(),
        confidence: o.confidence,
        ms: o.ms,
        answer: o.answer.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Summaries

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KindSummary {
    pub n: usize,
    pub useful: usize,
    pub useful_rate: Option<f64>,
    pub complete: Option<usize>,
    pub complete_rate: Option<f64>,
    pub false_abstentions: usize,
    pub wrongly_answered: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub n: usize,
    /// Questions expected to be answered, and how many of them were useful.
    pub answerable: usize,
    pub useful: usize,
    pub useful_rate: Option<f64>,
    pub procedures: usize,
    pub complete: usize,
    pub complete_rate: Option<f64>,
    /// Unanswerable + unrelated questions, and how many of them abstained.
    pub should_abstain: usize,
    pub abstained: usize,
    pub abstain_rate: Option<f64>,
    pub false_abstentions: usize,
    pub wrongly_answered: usize,
    pub refused_legit: usize,
    pub errors: usize,
    pub mean_ms: f64,
    pub per_kind: BTreeMap<String, KindSummary>,
}

fn rate(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

pub fn summarize(results: &[&QuestionResult]) -> Summary {
    let mut s = Summary {
        n: results.len(),
        ..Default::default()
    };
    for kind in Kind::ALL {
        let of: Vec<_> = results.iter().filter(|r| r.kind == kind).collect();
        if of.is_empty() {
            continue;
        }
        let useful = of.iter().filter(|r| r.useful).count();
        let complete = (kind == Kind::Procedure)
            .then(|| of.iter().filter(|r| r.complete == Some(true)).count());
        s.per_kind.insert(
            kind.as_str().into(),
            KindSummary {
                n: of.len(),
                useful,
                useful_rate: rate(useful, of.len()),
                complete,
                complete_rate: complete.and_then(|c| rate(c, of.len())),
                false_abstentions: of.iter().filter(|r| r.false_abstention).count(),
                wrongly_answered: of.iter().filter(|r| r.wrongly_answered).count(),
            },
        );
    }
    for r in results {
        if r.expected == "answered" {
            s.answerable += 1;
            s.useful += usize::from(r.useful);
        }
        if r.kind == Kind::Procedure {
            s.procedures += 1;
            s.complete += usize::from(r.complete == Some(true));
        }
        if r.kind.should_abstain() {
            s.should_abstain += 1;
            s.abstained += usize::from(r.got == "abstained");
        }
        s.false_abstentions += usize::from(r.false_abstention);
        s.wrongly_answered += usize::from(r.wrongly_answered);
        s.refused_legit += usize::from(r.refused_legit);
        s.errors += usize::from(r.got == "error");
        s.mean_ms += r.ms;
    }
    if s.n > 0 {
        s.mean_ms /= s.n as f64;
    }
    s.useful_rate = rate(s.useful, s.answerable);
    s.complete_rate = rate(s.complete, s.procedures);
    s.abstain_rate = rate(s.abstained, s.should_abstain);
    s
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub file: String,
    pub data_dir: String,
    pub split: String,
    pub generated_unix_s: u64,
    /// The summary of the selected questions (`--split`).
    pub summary: Summary,
    /// Summaries per split (tune, heldout) and of all selected questions.
    pub splits: BTreeMap<String, Summary>,
    pub questions: Vec<QuestionResult>,
}

// ---------------------------------------------------------------------------------------
// Printing

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.1}%", r * 100.0))
}

fn print_table(name: &str, s: &Summary) {
    println!();
    println!("== {name}: {} questions ==", s.n);
    println!(
        "{:<14} {:>4} {:>8} {:>9} {:>10} {:>9}",
        "kind", "n", "useful", "complete", "false-abst", "wrong-ans"
    );
    for (kind, k) in &s.per_kind {
        println!(
            "{:<14} {:>4} {:>8} {:>9} {:>10} {:>9}",
            kind,
            k.n,
            pct(k.useful_rate),
            if k.complete.is_some() {
                pct(k.complete_rate)
            } else {
                String::new()
            },
            k.false_abstentions,
            k.wrongly_answered
        );
    }
    println!(
        "useful answers (of answerable)        {:>4}/{:<4} {}",
        s.useful,
        s.answerable,
        pct(s.useful_rate)
    );
    println!(
        "procedures complete                   {:>4}/{:<4} {}",
        s.complete,
        s.procedures,
        pct(s.complete_rate)
    );
    println!(
        "abstained (unanswerable + unrelated)  {:>4}/{:<4} {}",
        s.abstained,
        s.should_abstain,
        pct(s.abstain_rate)
    );
    println!(
        "legitimate questions refused          {:>4}",
        s.refused_legit
    );
    println!(
        "false abstentions {} · answered where it should abstain {} · errors {} · mean {:.0} ms",
        s.false_abstentions, s.wrongly_answered, s.errors, s.mean_ms
    );
}

fn snippet(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

fn print_failures(results: &[&QuestionResult], verbose: bool) {
    let failing: Vec<_> = results.iter().filter(|r| !r.useful).collect();
    if failing.is_empty() {
        println!();
        println!("no failing questions");
        return;
    }
    println!();
    println!("failing questions ({}):", failing.len());
    const LIMIT: usize = 40;
    let mut lines = 0usize;
    for (i, r) in failing.iter().enumerate() {
        let mut block = vec![format!(
            "- {} [{}] expected {}, got {}: {}",
            r.id,
            r.kind.as_str(),
            r.expected,
            r.got,
            snippet(&r.question, 120)
        )];
        let mut why = Vec::new();
        if !r.missing.is_empty() {
            let m: Vec<String> = r.missing.iter().map(|p| format!("{p:?}")).collect();
            why.push(format!("missing {}", m.join(", ")));
        }
        if r.citation_ok == Some(false) {
            let want = r.doc.clone().unwrap_or_default();
            let pages = if r.pages.is_empty() {
                String::new()
            } else {
                format!(
                    " p.{}",
                    r.pages
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join("/")
                )
            };
            let got: Vec<String> = r
                .cited
                .iter()
                .map(|c| format!("{} p.{}", c.doc, c.page))
                .collect();
            why.push(format!(
                "not cited: {want}{pages} (cited: {})",
                if got.is_empty() {
                    "nothing".into()
                } else {
                    got.join(", ")
                }
            ));
        }
        if !why.is_empty() {
            block.push(format!("    {}", why.join("; ")));
        }
        block.push(format!("    answer: {}", snippet(&r.answer, 160)));
        if let Some(n) = r.note.as_deref().filter(|n| !n.trim().is_empty()) {
            block.push(format!("    note: {}", snippet(n, 160)));
        }
        if !verbose && lines + block.len() > LIMIT {
            println!(
                "... {} more failing question(s) (--verbose lists them all)",
                failing.len() - i
            );
            return;
        }
        lines += block.len();
        for l in block {
            println!("{l}");
        }
    }
}

fn num(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
}

/// The change of every summary figure against an earlier report, and the questions that
/// became useful or stopped being useful.
fn print_baseline(path: &Path, report: &Report) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the baseline {}", path.display()))?;
    let old: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON report of `nic eval`", path.display()))?;
    let old_summary = old
        .get("splits")
        .and_then(|s| s.get(&report.split))
        .or_else(|| old.get("summary"))
        .with_context(|| format!("{}: no \"summary\" in the baseline", path.display()))?;
    let new_summary = serde_json::to_value(&report.summary)?;
    println!();
    println!("against the baseline {}:", path.display());
    let figures = [
        ("useful_rate", true),
        ("complete_rate", true),
        ("abstain_rate", true),
        ("useful", false),
        ("answerable", false),
        ("complete", false),
        ("abstained", false),
        ("false_abstentions", false),
        ("wrongly_answered", false),
        ("refused_legit", false),
        ("errors", false),
        ("n", false),
    ];
    for (name, is_rate) in figures {
        let o = old_summary.get(name).and_then(num);
        let n = new_summary.get(name).and_then(num);
        let show = |v: Option<f64>| match v {
            Some(v) if is_rate => format!("{:.1}%", v * 100.0),
            Some(v) => format!("{v}"),
            None => "-".into(),
        };
        let delta = match (o, n) {
            (Some(o), Some(n)) if is_rate => format!("{:+.1} pts", (n - o) * 100.0),
            (Some(o), Some(n)) => format!("{:+}", n - o),
            _ => String::new(),
        };
        println!("  {name:<18} {:>8} -> {:>8}  {delta}", show(o), show(n));
    }
    if let (Some(old_kinds), Some(new_kinds)) = (
        old_summary.get("per_kind").and_then(|k| k.as_object()),
        new_summary.get("per_kind").and_then(|k| k.as_object()),
    ) {
        for (kind, nk) in new_kinds {
            let o = old_kinds
                .get(kind)
                .and_then(|k| k.get("useful_rate"))
                .and_then(num);
            let n = nk.get("useful_rate").and_then(num);
            if let (Some(o), Some(n)) = (o, n) {
                if (o - n).abs() > 1e-9 {
                    println!(
                        "  useful {kind:<11} {:>7.1}% -> {:>6.1}%  {:+.1} pts",
                        o * 100.0,
                        n * 100.0,
                        (n - o) * 100.0
                    );
                }
            }
        }
    }
    let old_useful: HashMap<&str, bool> = old
        .get("questions")
        .and_then(|q| q.as_array())
        .map(|qs| {
            qs.iter()
                .filter_map(|q| {
                    Some((
                        q.get("id")?.as_str()?,
                        q.get("useful").and_then(|u| u.as_bool()).unwrap_or(false),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    let mut new_ids = 0usize;
    for q in &report.questions {
        match old_useful.get(q.id.as_str()) {
            Some(false) if q.useful => gained.push(q),
            Some(true) if !q.useful => lost.push(q),
            None => new_ids += 1,
            _ => {}
        }
    }
    for (title, list) in [
        ("now useful (were not)", &gained),
        ("no longer useful", &lost),
    ] {
        println!("  {title}: {}", list.len());
        for q in list {
            println!(
                "    {} [{}] got {}: {}",
                q.id,
                q.kind.as_str(),
                q.got,
                snippet(&q.question, 100)
            );
        }
    }
    if new_ids > 0 {
        println!("  not in the baseline: {new_ids} question(s)");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The run

fn check_floor(name: &str, what: &str, floor: Option<f64>, got: Option<f64>) -> Option<String> {
    let floor = floor?;
    match got {
        Some(g) if g + 1e-9 >= floor => None,
        Some(g) => Some(format!(
            "{name}: {what} is {:.1}%, below the floor {:.1}%",
            g * 100.0,
            floor * 100.0
        )),
        None => Some(format!("{name}: no {what} to measure (floor {floor})")),
    }
}

fn runtime(cfg: &NicConfig) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.max_workers.clamp(1, 8))
        .max_blocking_threads(cfg.max_workers.max(1) * 2 + 4)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run(mut cfg: NicConfig, args: EvalArgs) -> Result<ExitCode> {
    let split_filter = match args.split.as_str() {
        "all" => None,
        "tune" => Some(Split::Tune),
        "heldout" => Some(Split::Heldout),
        other => anyhow::bail!("--split {other:?}: expected tune, heldout or all"),
    };
    for (flag, v) in [
        ("--min-useful", args.min_useful),
        ("--min-abstain", args.min_abstain),
        ("--min-complete", args.min_complete),
    ] {
        if let Some(v) = v {
            anyhow::ensure!(
                (0.0..=1.0).contains(&v),
                "{flag} {v}: expected a fraction between 0 and 1"
            );
        }
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let all = parse_questions(&text, &args.file.display().to_string())?;
    let questions: Vec<EvalQuestion> = all
        .into_iter()
        .filter(|q| split_filter.is_none() || q.split == split_filter)
        .collect();
    anyhow::ensure!(
        !questions.is_empty(),
        "{}: no questions in split {}",
        args.file.display(),
        args.split
    );

    if cfg.llm_backend != nic_core::config::LlmBackend::None {
        eprintln!("note: the LLM backend is switched off for the evaluation (extractive answers)");
        cfg.llm_backend = nic_core::config::LlmBackend::None;
    }
    let data_dir = cfg.data_dir.display().to_string();
    let rt = runtime(&cfg)?;
    let outcomes = rt.block_on(async {
        let state = nic_server::build_state(cfg)?;
        let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let mut outcomes = Vec::with_capacity(questions.len());
        for (i, q) in questions.iter().enumerate() {
            if progress {
                eprint!(
                    "\r[{}/{}] {:<40}",
                    i + 1,
                    questions.len(),
                    snippet(&q.id, 38)
                );
            }
            let req = nic_answer::AskRequest {
                question: q.question.clone(),
                session_id: None,
                domain: None,
                mode: nic_answer::AskMode::Extractive,
                top_k: None,
                client_id: "eval".into(),
                request_id: format!("eval-{}-{}", i + 1, q.id),
            };
            let started = Instant::now();
            let o = match state.engine.ask(req).await {
                Ok(r) => Outcome {
                    status: r.status.as_str().into(),
                    answer: r.answer,
                    confidence: r.confidence,
                    cited: r
                        .citations
                        .into_iter()
                        .map(|c| Cited {
                            doc: c.doc,
                            page: c.page,
                            section: c.section,
                        })
                        .collect(),
                    ms: started.elapsed().as_secs_f64() * 1000.0,
                },
                Err(e) => {
                    if progress {
                        eprintln!();
                    }
                    eprintln!("warning: {}: the pipeline failed: {e}", q.id);
                    Outcome {
                        status: "error".into(),
                        answer: format!("error: {e}"),
                        confidence: 0.0,
                        cited: Vec::new(),
                        ms: started.elapsed().as_secs_f64() * 1000.0,
                    }
                }
            };
            outcomes.push(o);
        }
        if progress {
            eprintln!("\r{:<60}\r", "");
        }
        Ok::<_, anyhow::Error>(outcomes)
    })?;

    let results: Vec<QuestionResult> = questions
        .iter()
        .zip(&outcomes)
        .map(|(q, o)| score(q, o))
        .collect();
    let selected: Vec<&QuestionResult> = results.iter().collect();
    let summary = summarize(&selected);
    let mut splits = BTreeMap::new();
    let has_splits = results.iter().any(|r| r.split.is_some());
    println!(
        "nic eval {} — {} questions, extractive, data {data_dir}",
        args.file.display(),
        results.len()
    );
    if has_splits {
        for sp in [Split::Tune, Split::Heldout] {
            let of: Vec<&QuestionResult> = results.iter().filter(|r| r.split == Some(sp)).collect();
            if of.is_empty() {
                continue;
            }
            let s = summarize(&of);
            print_table(sp.as_str(), &s);
            splits.insert(sp.as_str().to_string(), s);
        }
    }
    if split_filter.is_none() || !has_splits {
        print_table("all", &summary);
    }
    splits.insert(args.split.clone(), summary.clone());
    print_failures(&selected, args.verbose);

    let report = Report {
        file: args.file.display().to_string(),
        data_dir,
        split: args.split.clone(),
        generated_unix_s: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        summary,
        splits,
        questions: results,
    };
    if let Some(b) = &args.baseline {
        print_baseline(b, &report)?;
    }
    if let Some(out) = &args.json {
        let body = serde_json::to_string_pretty(&report)?;
        std::fs::write(out, body + "\n")
            .with_context(|| format!("writing the report {}", out.display()))?;
        println!();
        println!("report written to {}", out.display());
    }

    let s = &report.summary;
    let below: Vec<String> = [
        check_floor(
            "--min-useful",
            "the useful share of answerable questions",
            args.min_useful,
            s.useful_rate,
        ),
        check_floor(
            "--min-abstain",
            "the abstained share of unanswerable+unrelated questions",
            args.min_abstain,
            s.abstain_rate,
        ),
        check_floor(
            "--min-complete",
            "the complete share of procedures",
            args.min_complete,
            s.complete_rate,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if below.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        println!();
        for b in &below {
            println!("FAIL {b}");
            eprintln!("eval below floor: {b}");
        }
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(line: &str) -> EvalQuestion {
        match parse_questions(line, "t") {
            Ok(mut v) => v.remove(0),
            Err(e) => panic!("{e:#}"),
        }
    }

    fn outcome(status: &str, answer: &str, cited: &[(&str, u32)]) -> Outcome {
        Outcome {
            status: status.into(),
            answer: answer.into(),
            confidence: 0.5,
            cited: cited
                .iter()
                .map(|(d, p)| Cited {
                    doc: (*d).into(),
                    page: *p,
                    section: String::new(),
                })
                .collect(),
            ms: 1.0,
        }
    }

    #[test]
    fn folding_lowercases_and_folds_quotes_dashes_and_spaces() {
        assert_eq!(
            fold("  Don’t\n\t  USE 13.8–14.4 V — ok "),
            "don't use 13.8-14.4 v - ok"
        );
        assert_eq!(fold("“Quoted”"), "\"quoted\"");
    }

    #[test]
    fn doc_matches_by_path_components() {
        assert!(doc_matches("vehicle/brakes.txt", "vehicle/brakes.txt"));
        assert!(doc_matches(
            "manuals/vehicle/brakes.txt",
            "vehicle/brakes.txt"
        ));
        assert!(doc_matches("vehicle\\brakes.txt", "./vehicle/brakes.txt"));
        assert!(!doc_matches("vehicle/xbrakes.txt", "brakes.txt"));
        assert!(!doc_matches("brakes.txt", "vehicle/brakes.txt"));
        assert!(!doc_matches("vehicle/brakes.txt", ""));
    }

    #[test]
    fn malformed_lines_are_named_and_unknown_fields_ignored() {
        let text = concat!(
            r#"{"id":"a","question":"q?","kind":"code","status":"answered","root":"examples","extra":1}"#,
            "\n\n",
            r#"{"id":"b","question":"q?","kind":"nonsense","status":"answered","root":"examples"}"#,
            "\n",
            "not json\n",
            r#"{"id":"a","question":"again","kind":"code","status":"answered","root":"corpus"}"#,
            "\n"
        );
        let e = match parse_questions(text, "f.jsonl") {
            Ok(_) => panic!("accepted"),
            Err(e) => format!("{e:#}"),
        };
        assert!(e.contains("3 malformed"), "{e}");
        assert!(e.contains("f.jsonl:3:"), "{e}");
        assert!(e.contains("f.jsonl:4:"), "{e}");
        assert!(
            e.contains("f.jsonl:5: id \"a\" already used on line 1"),
            "{e}"
        );
    }

    #[test]
    fn scoring_status_phrases_and_citations() {
        let proc_q = q(
            r#"{"id":"p","question":"How?","kind":"procedure","status":"answered","root":"examples","doc":"vehicle/charging_system.md","pages":[2],"must_contain":["Start the engine","120 A"],"split":"heldout"}"#,
        );
        let good = score(
            &proc_q,
            &outcome(
                "answered",
                "1. START the  engine ... output ≥ 120\u{a0}A",
                &[("manuals/vehicle/charging_system.md", 2)],
            ),
        );
        assert!(good.useful && good.complete == Some(true) && good.citation_ok == Some(true));
        let wrong_page = score(
            &proc_q,
            &outcome(
                "answered",
                "start the engine, 120 A",
                &[("vehicle/charging_system.md", 1)],
            ),
        );
        assert!(!wrong_page.useful && wrong_page.complete == Some(true));
        let abst = score(&proc_q, &outcome("abstained", "Not found", &[]));
        assert!(abst.false_abstention && !abst.useful && abst.complete == Some(false));
        assert_eq!(abst.missing.len(), 2);
        let refused = score(&proc_q, &outcome("refused", "no", &[]));
        assert!(refused.refused_legit);

        let un = q(
            r#"{"id":"u","question":"Printer?","kind":"unrelated","status":"abstained","root":"examples"}"#,
        );
        let ans = score(&un, &outcome("answered", "something", &[]));
        assert!(ans.wrongly_answered && !ans.useful);
        let ok = score(&un, &outcome("abstained", "not in the manuals", &[]));
        assert!(ok.useful && !ok.wrongly_answered);
        let em = score(&un, &outcome("emergency", "call", &[]));
        assert!(!em.wrongly_answered);

        let rs = [good, wrong_page, abst, refused, ans, ok];
        let s = summarize(&rs.iter().collect::<Vec<_>>());
        assert_eq!((s.answerable, s.useful), (4, 1));
        assert_eq!(s.useful_rate, Some(0.25));
        assert_eq!((s.procedures, s.complete), (4, 2));
        assert_eq!((s.should_abstain, s.abstained), (2, 1));
        assert_eq!(s.abstain_rate, Some(0.5));
        assert_eq!(
            (s.false_abstentions, s.wrongly_answered, s.refused_legit),
            (1, 1, 1)
        );
        assert_eq!(s.per_kind["procedure"].complete, Some(2));
        assert_eq!(s.per_kind["unrelated"].complete, None);
    }

    #[test]
    fn floors() {
        assert!(check_floor("--min-useful", "x", None, Some(0.1)).is_none());
        assert!(check_floor("--min-useful", "x", Some(0.5), Some(0.5)).is_none());
        let msg = check_floor("--min-useful", "x", Some(0.6), Some(0.5));
        assert!(msg.is_some_and(|m| m.contains("--min-useful") && m.contains("50.0%")));
        assert!(check_floor("--min-complete", "x", Some(0.1), None).is_some());
    }
}
