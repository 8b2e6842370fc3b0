//! The answer pipeline (DESIGN §2): validate → safety triage → retrieve → confidence gate →
//! answer (LLM with numbered evidence, or extractive) → citation audit → response.
//!
//! CPU-bound work (query embedding, retrieval) runs on the blocking pool so the async
//! runtime keeps serving; the LLM call is the only long await. The current generation sits
//! behind a lock-free swap so `POST /api/reload` publishes a new one without dropping a
//! request: a request keeps the `Arc<Retriever>` it started with.

use crate::audit;
use crate::cache::{ByteLru, CacheStats};
use crate::confidence::confidence;
use crate::extractive::{self, EvidenceText};
use crate::response::*;
use crate::session::{now_unix, rewrite_followup, SessionStore, Turn};
use nic_core::NicConfig;
use nic_retrieve::{Hit, Retriever, SearchOutcome, SearchRequest};
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("retrieval failed: {0}")]
    Retrieve(#[from] nic_retrieve::RetrieveError),
    #[error("internal task failed: {0}")]
    Task(String),
}

/// Snippet length shown with each citation.
const SNIPPET_CHARS: usize = 400;

pub struct Engine {
    retriever: RwLock<Arc<Retriever>>,
    config: NicConfig,
    sessions: Arc<dyn SessionStore>,
    llm: Option<Arc<nic_llm::LlmClient>>,
    query_vectors: ByteLru<String, Arc<Vec<f32>>>,
}

/// What one retrieval pass produced for one question.
struct Retrieved {
    query: String,
    outcome: SearchOutcome,
    confidence: f32,
}

/// The answer to one (part of a) question before composition.
struct PartAnswer {
    status: Status,
    answer: String,
    mode: AnswerMode,
    /// Hits cited, in `[1]..[m]` order of `answer`.
    cited: Vec<Hit>,
    audit: audit::AuditReport,
    model: Option<String>,
    notes: Vec<String>,
    closest: Vec<Closest>,
    confidence: f32,
    retrieval_score: f32,
    generate_ms: f64,
    query: String,
    /// Section-level extras: follow-ups, differing sources, corrected words.
    extras: Extras,
}

#[derive(Default)]
struct Extras {
    alternatives: Vec<crate::compose::Alternative>,
    sources_differ: bool,
    corrected_query: Option<String>,
}

/// Replaces whole words equal (case-insensitively, ignoring a plural `s`) to `from`.
fn replace_word(q: &str, from: &str, to: &str) -> String {
    q.split(' ')
        .map(|w| {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            let l = core.to_lowercase();
            if l == from || l.strip_suffix('s') == Some(from) {
                w.replacen(core, to, 1)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn snippet(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) if i > max / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

fn new_session_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// Rewrites `[n]` markers of `text` through `map` (`map[n-1]` is the new number).
fn remap_refs(text: &str, map: &[usize]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find(']')
            .and_then(|c| after[..c].parse::<usize>().ok().map(|n| (c, n)))
        {
            Some((close, n)) if n >= 1 && n <= map.len() => {
                out.push_str(&format!("[{}]", map[n - 1]));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Engine {
    pub fn new(
        retriever: Retriever,
        config: NicConfig,
        sessions: Arc<dyn SessionStore>,
        llm: Option<nic_llm::LlmClient>,
    ) -> Self {
        // The query-vector cache gets half of NOVA_CACHE_MAX_MB; the rest is headroom for
        // the retrieval caches of later tiers.
        let budget = (config.cache_max_mb as usize * 1024 * 1024) / 2;
        Self {
            retriever: RwLock::new(Arc::new(retriever)),
            query_vectors: ByteLru::new(
                "query_embedding",
                budget,
                Duration::from_secs(config.cache_ttl_s),
            ),
            config,
            sessions,
            llm: llm.map(Arc::new),
        }
    }

    pub fn config(&self) -> &NicConfig {
        &self.config
    }

    pub fn retriever(&self) -> Arc<Retriever> {
        self.retriever.read().clone()
    }

    /// Publishes a new generation to every request that starts from now on.
    pub fn swap_retriever(&self, r: Retriever) {
        *self.retriever.write() = Arc::new(r);
        self.query_vectors.clear();
    }

    pub fn sessions(&self) -> &Arc<dyn SessionStore> {
        &self.sessions
    }

    pub fn llm(&self) -> Option<&Arc<nic_llm::LlmClient>> {
        self.llm.as_ref()
    }

    pub fn cache_stats(&self) -> Vec<CacheStats> {
        vec![self.query_vectors.stats()]
    }

    /// Memory pressure: shrink caches to a fraction of their budget (0.0 empties them).
    pub fn shrink_caches(&self, fraction: f64) {
        let full = (self.config.cache_max_mb as usize * 1024 * 1024) / 2;
        self.query_vectors
            .set_budget((full as f64 * fraction.clamp(0.0, 1.0)) as usize);
    }

    /// Retrieval with the query-vector cache; CPU-bound, call from a blocking context.
    pub fn retrieve_blocking(
        &self,
        query: &str,
        k: usize,
        domain: Option<&str>,
    ) -> Result<SearchOutcome, AskError> {
        let retriever = self.retriever();
        let key = query.trim().to_lowercase();
        let cached = self.query_vectors.get(&key);
        let mut out = retriever.search(&SearchRequest {
            query: query.to_string(),
            k,
            domain: domain.map(String::from),
            query_vector: cached.as_ref().map(|v| v.as_ref().clone()),
            lexical_only: false,
        })?;
        if cached.is_none() {
            if let Some(v) = out.query_vector.take() {
                let bytes = v.len() * 4 + key.len() + 96;
                self.query_vectors.insert(key, Arc::new(v), bytes);
            }
        }
        Ok(out)
    }

    fn retrieve_scored(
        &self,
        query: &str,
        k: usize,
        domain: Option<&str>,
    ) -> Result<Retrieved, AskError> {
        let outcome = self.retrieve_blocking(query, k, domain)?;
        let confidence = if outcome.hits.is_empty() {
            0.0
        } else {
            confidence(&outcome.signals)
        };
        Ok(Retrieved {
            query: query.to_string(),
            outcome,
            confidence,
        })
    }

    async fn retrieve(
        self: &Arc<Self>,
        query: String,
        k: usize,
        domain: Option<String>,
    ) -> Result<Retrieved, AskError> {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.retrieve_scored(&query, k, domain.as_deref()))
            .await
            .map_err(|e| AskError::Task(e.to_string()))?
    }

    /// Runs the whole pipeline for one request.
    pub async fn ask(self: &Arc<Self>, req: AskRequest) -> Result<AskResponse, AskError> {
        let started = Instant::now();
        let verdict = nic_safety::triage(&req.question);
        let mut session_id = req
            .session_id
            .clone()
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .unwrap_or_else(new_session_id);
        let session = self.sessions.get(&session_id, &req.client_id);
        if session.is_none() && self.sessions.exists(&session_id) {
            // Another client's session: never share it, start a fresh one for this client.
            session_id = new_session_id();
        }
        let k = req.top_k.unwrap_or(self.config.top_k).clamp(1, 20);
        let domain = req.domain.clone().filter(|d| !d.trim().is_empty());

        let mut timings = TimingsMs::default();
        let mut parts_out: Vec<PartOutcome> = Vec::new();
        let mut answers: Vec<(Option<String>, PartAnswer)> = Vec::new();

        let proceed: Vec<String> = if verdict.parts.len() > 1 {
            verdict
                .parts
                .iter()
                .filter_map(|p| match p.action {
                    nic_safety::Action::Refuse => {
                        parts_out.push(PartOutcome {
                            question: p.text.clone(),
                            status: Status::Refused,
                            reason: p.reason.clone(),
                        });
                        None
                    }
                    _ => Some(p.text.clone()),
                })
                .collect()
        } else if verdict.action == nic_safety::Action::Refuse {
            Vec::new()
        } else {
            vec![verdict.core_question.clone()]
        };

        for q in &proceed {
            // Triage may strip a leading "and": keep that continuation cue for the rewrite.
            let cue = req.question.trim_start().to_lowercase();
            let q_for_rewrite = if proceed.len() == 1
                && (cue.starts_with("and ") || cue.starts_with("what about"))
                && !q.to_lowercase().starts_with(&cue[..3])
            {
                format!("and {q}")
            } else {
                q.clone()
            };
            let query = rewrite_followup(&q_for_rewrite, session.as_ref());
            let t = Instant::now();
            let r = self.retrieve(query, k, domain.clone()).await?;
            timings.embed += r.outcome.timings.embed_ms;
            timings.retrieve += t.elapsed().as_secs_f64() * 1000.0 - r.outcome.timings.embed_ms;
            let emergency = verdict.action == nic_safety::Action::Emergency;
            // A request wrapped as role-play or fiction is gated on all it asked for.
            let asked_as = if verdict.triggers.iter().any(|t| t == "injection_roleplay") {
                req.question.as_str()
            } else {
                q.as_str()
            };
            let part = self.answer_part(q, asked_as, r, req.mode, emergency).await;
            timings.generate += part.generate_ms;
            if proceed.len() > 1 {
                parts_out.push(PartOutcome {
                    question: q.clone(),
                    status: part.status,
                    reason: None,
                });
            }
            answers.push((Some(q.clone()).filter(|_| proceed.len() > 1), part));
        }

        // Refusal: point at the manual's safe procedure when the corpus has one.
        let mut refusal_pointer: Option<PartAnswer> = None;
        if verdict.action == nic_safety::Action::Refuse && proceed.is_empty() {
            let r = self
                .retrieve(verdict.core_question.clone(), 3, domain.clone())
                .await?;
            if r.confidence >= self.config.confidence_threshold {
                if let Some(top) = r.outcome.hits.first().cloned() {
                    let c = &top.chunk.chunk;
                    refusal_pointer = Some(PartAnswer {
                        status: Status::Refused,
                        answer: format!(
                            "For the documented procedure, see {} p.{} ({}) [1].",
                            c.title,
                            c.page,
                            c.section_display()
                        ),
                        mode: AnswerMode::None,
                        cited: vec![top],
                        audit: Default::default(),
                        model: None,
                        notes: vec![],
                        closest: vec![],
                        confidence: r.confidence,
                        retrieval_score: r.outcome.signals.best_score,
                        generate_ms: 0.0,
                        query: r.query,
                        extras: Extras::default(),
                    });
                }
            }
        }

        let status = match verdict.action {
            nic_safety::Action::Emergency => Status::Emergency,
            nic_safety::Action::Refuse if proceed.is_empty() => Status::Refused,
            _ => {
                if answers.iter().any(|(_, a)| a.status == Status::Answered) {
                    Status::Answered
                } else if answers.is_empty() {
                    Status::Refused
                } else {
                    Status::Abstained
                }
            }
        };

        let turn_query = answers
            .first()
            .map(|(_, a)| a.query.clone())
            .unwrap_or_else(|| verdict.core_question.clone());
        let mut resp = self.compose(status, &verdict, answers, refusal_pointer, parts_out);
        timings.total = started.elapsed().as_secs_f64() * 1000.0;
        resp.timings_ms = timings;
        resp.session_id = session_id.clone();
        resp.request_id = req.request_id.clone();

        self.sessions.append(
            &session_id,
            &req.client_id,
            Turn {
                question: req.question.clone(),
                query: turn_query,
                answer: resp.answer.clone(),
                status: resp.status.as_str().to_string(),
                at_unix: now_unix(),
            },
        );
        Ok(resp.with_compat_fields())
    }

    async fn answer_part(
        self: &Arc<Self>,
        question: &str,
        asked_as: &str,
        r: Retrieved,
        mode: AskMode,
        emergency: bool,
    ) -> PartAnswer {
        let hits = &r.outcome.hits;
        let threshold = self.config.confidence_threshold;
        let retrieval_score = r.outcome.signals.best_score;
        // The answer unit is a section: compose from the document tree when there is one.
        let mut sectioned: Option<crate::compose::SectionAnswer> = None;
        let mut ungrounded = false;
        if !hits.is_empty() && r.confidence >= threshold {
            let retriever = self.retriever();
            let gen = retriever.generation().clone();
            let idf = |w: &str| {
                nic_index::analyze(w)
                    .iter()
                    .map(|t| gen.term_idf(t))
                    .fold(0.0, f32::max)
            };
            match crate::compose::compose(&crate::compose::Compose {
                question,
                asked_as,
                hits,
                src: gen.as_ref(),
                idf: &idf,
                emergency,
            }) {
                crate::compose::Outcome::Answer(a) => sectioned = Some(*a),
                crate::compose::Outcome::Ungrounded { .. } => ungrounded = true,
                crate::compose::Outcome::NoTree => {}
            }
        }
        if hits.is_empty() || r.confidence < threshold || ungrounded {
            let closest = hits
                .iter()
                .take(3)
                .map(|h| {
                    let c = &h.chunk.chunk;
                    Closest {
                        doc: c.doc.clone(),
                        title: c.title.clone(),
                        domain: c.domain.clone(),
                        page: c.page,
                        section: c.section_display(),
                        snippet: snippet(&c.text, 200),
                        score: h.score,
                    }
                })
                .collect::<Vec<_>>();
            let mut answer = String::from("The manuals do not cover this question.");
            let notes = if ungrounded {
                vec!["the closest sections do not name what the question asks about".to_string()]
            } else {
                vec![]
            };
            if !closest.is_empty() {
                answer.push_str(" The closest sections are: ");
                let list: Vec<String> = closest
                    .iter()
                    .map(|c| format!("{} p.{} ({})", c.title, c.page, c.section))
                    .collect();
                answer.push_str(&list.join("; "));
                answer.push('.');
            }
            return PartAnswer {
                status: Status::Abstained,
                answer,
                mode: AnswerMode::None,
                cited: vec![],
                audit: Default::default(),
                model: None,
                notes,
                closest,
                confidence: r.confidence,
                retrieval_score,
                generate_ms: 0.0,
                query: r.query,
                extras: Extras::default(),
            };
        }

        let mut notes = Vec::new();
        let mut extras = Extras::default();
        let mut generated: Option<(String, Vec<Hit>, audit::AuditReport, String, f64)> = None;
        let want_llm = mode != AskMode::Extractive;
        match (&self.llm, want_llm) {
            (Some(llm), true) => {
                let t = Instant::now();
                match self.generate(llm, question, hits).await {
                    Ok(g) => {
                        generated = Some((g.0, g.1, g.2, g.3, t.elapsed().as_secs_f64() * 1000.0))
                    }
                    Err(note) => notes.push(note),
                }
            }
            (None, true) if mode == AskMode::Generative => {
                notes.push("no LLM is configured (NOVA_LLM_BACKEND=none); extractive answer".into())
            }
            _ => {}
        }

        let (mut answer, mut cited, audit_report, model, generate_ms, amode) = match generated {
            Some((a, c, rep, model, ms)) => (a, c, rep, Some(model), ms, AnswerMode::Generative),
            None if sectioned.is_some() => {
                let a = sectioned.take().unwrap_or_else(|| unreachable!());
                let cited: Vec<Hit> = a
                    .cites
                    .iter()
                    .map(|c| {
                        let score = hits
                            .iter()
                            .find(|h| h.chunk.chunk_id == c.chunk_id)
                            .map_or(hits[a.best_hit].score, |h| h.score);
                        Hit {
                            chunk: c.clone(),
                            score,
                            cosine: 0.0,
                            bm25: None,
                            lexical: 0.0,
                            coverage: 0.0,
                        }
                    })
                    .collect();
                extras.alternatives = a.alternatives;
                extras.sources_differ = a.sources_differ;
                if !a.corrections.is_empty() {
                    let mut q = question.to_string();
                    for (from, to) in &a.corrections {
                        q = replace_word(&q, from, to);
                    }
                    extras.corrected_query = Some(q);
                }
                (
                    a.text,
                    cited,
                    Default::default(),
                    None,
                    0.0,
                    AnswerMode::Extractive,
                )
            }
            None => {
                let ev: Vec<EvidenceText> = hits
                    .iter()
                    .map(|h| EvidenceText {
                        text: &h.chunk.chunk.text,
                        score: h.score,
                    })
                    .collect();
                let ex = extractive::answer(question, &ev);
                let cited = ex.cited.iter().map(|&i| hits[i].clone()).collect();
                (
                    ex.answer,
                    cited,
                    Default::default(),
                    None,
                    0.0,
                    AnswerMode::Extractive,
                )
            }
        };

        // False premise: state the manual's value with its citation, first.
        let texts: Vec<&str> = hits.iter().map(|h| h.chunk.chunk.text.as_str()).collect();
        if let Some(p) = nic_safety::check_premise(question, &texts) {
            if let Some(hit) = hits.get(p.evidence_index) {
                let n = match cited
                    .iter()
                    .position(|c| c.chunk.ordinal == hit.chunk.ordinal)
                {
                    Some(i) => i + 1,
                    None => {
                        cited.push(hit.clone());
                        cited.len()
                    }
                };
                answer = format!(
                    "The premise is not what the manual says: {} The manual gives {} [{n}].\n{}",
                    p.explanation, p.manual_value, answer
                );
                notes.push("false_premise".into());
            }
        }

        PartAnswer {
            status: Status::Answered,
            answer,
            mode: amode,
            cited,
            audit: audit_report,
            model,
            notes,
            closest: vec![],
            confidence: r.confidence,
            retrieval_score,
            generate_ms,
            query: r.query,
            extras,
        }
    }

    /// Generates with the LLM and audits the result. Err(note) means: fall back to the
    /// extractive answer, and the note says why.
    async fn generate(
        &self,
        llm: &nic_llm::LlmClient,
        question: &str,
        hits: &[Hit],
    ) -> Result<(String, Vec<Hit>, audit::AuditReport, String), String> {
        let evidence: Vec<nic_llm::Evidence> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| nic_llm::Evidence {
                n: i + 1,
                doc: h.chunk.chunk.doc.clone(),
                title: h.chunk.chunk.title.clone(),
                page: h.chunk.chunk.page,
                section: h.chunk.chunk.section_display(),
                text: h.chunk.chunk.text.clone(),
            })
            .collect();
        let retriever = self.retriever();
        let embedder = retriever.embedder().clone();
        let count = move |s: &str| embedder.count_tokens(s);
        let budget = llm.budget();
        let prompt = nic_llm::build_prompt(question, &evidence, &budget, &count);
        if prompt.included == 0 {
            return Err(
                "the evidence does not fit the LLM context (OLLAMA_NUM_CTX); extractive answer"
                    .into(),
            );
        }
        let deadline = Duration::from_secs(self.config.llm_timeout_s);
        let out = llm
            .generate_within(&prompt, deadline)
            .await
            .map_err(|e| format!("LLM unavailable ({e}); extractive answer"))?;
        // Audit only against the evidence actually shown to the model.
        let shown: Vec<&str> = hits[..prompt.included]
            .iter()
            .map(|h| h.chunk.chunk.text.as_str())
            .collect();
        let audited = audit::audit(&out.text, &shown);
        if audited.needs_fallback() {
            return Err(format!(
                "the generated answer failed the citation audit ({} of {} claims supported); extractive answer",
                audited.report.supported,
                audited.report.supported + audited.report.unsupported
            ));
        }
        let cited = audited.cited.iter().map(|&i| hits[i].clone()).collect();
        Ok((audited.answer, cited, audited.report, out.model))
    }

    fn compose(
        &self,
        status: Status,
        verdict: &nic_safety::Verdict,
        answers: Vec<(Option<String>, PartAnswer)>,
        refusal_pointer: Option<PartAnswer>,
        parts: Vec<PartOutcome>,
    ) -> AskResponse {
        let mut text = String::new();
        let mut citations: Vec<Citation> = Vec::new();
        let mut audit_all = audit::AuditReport::default();
        let mut notes = Vec::new();
        let mut closest = Vec::new();
        let mut model = None;
        let mut mode = AnswerMode::None;
        let mut conf: f32 = 0.0;
        let mut retrieval_score: f32 = 0.0;
        let mut triggers: Vec<String> = verdict.triggers.iter().map(|t| t.to_string()).collect();

        if let Some(msg) = &verdict.message {
            if matches!(status, Status::Emergency | Status::Refused) {
                text.push_str(msg.trim());
            }
        }
        let mut push_part = |label: Option<String>, p: PartAnswer, text: &mut String| {
            let mut map = Vec::new();
            for h in &p.cited {
                let existing = citations
                    .iter()
                    .position(|c| c.chunk_id == h.chunk.chunk_id);
                let n = match existing {
                    Some(i) => i + 1,
                    None => {
                        let c = &h.chunk.chunk;
                        citations.push(Citation {
                            reference: citations.len() + 1,
                            doc: c.doc.clone(),
                            title: c.title.clone(),
                            domain: c.domain.clone(),
                            page: c.page,
                            section: c.section_display(),
                            snippet: snippet(&c.text, SNIPPET_CHARS),
                            score: (h.score * 1000.0).round() / 1000.0,
                            chunk_id: h.chunk.chunk_id.clone(),
                        });
                        citations.len()
                    }
                };
                map.push(n);
            }
            let body = remap_refs(&p.answer, &map);
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            if let Some(l) = label {
                text.push_str(&format!("Q: {l}\n"));
            }
            text.push_str(&body);
            for c in p.audit.claims {
                audit_all.claims.push(c);
            }
            audit_all.supported += p.audit.supported;
            audit_all.unsupported += p.audit.unsupported;
            for n in p.notes {
                if n == "false_premise" {
                    if !triggers.iter().any(|t| t == "false_premise") {
                        triggers.push("false_premise".into());
                    }
                } else {
                    notes.push(n);
                }
            }
            closest.extend(p.closest);
            if p.model.is_some() {
                model = p.model;
            }
            if p.mode == AnswerMode::Generative
                || (p.mode == AnswerMode::Extractive && mode == AnswerMode::None)
            {
                mode = p.mode;
            }
            conf = conf.max(p.confidence);
            retrieval_score = retrieval_score.max(p.retrieval_score);
        };
        let mut answers = answers;
        let extras = answers
            .first_mut()
            .map(|(_, p)| std::mem::take(&mut p.extras))
            .unwrap_or_default();
        let mut emergency_closest = Vec::new();
        for (label, p) in answers {
            if status == Status::Emergency && p.status == Status::Abstained {
                // Guidance stands alone; the closest sections still go out in `closest`.
                emergency_closest.extend(p.closest);
                continue;
            }
            push_part(label, p, &mut text);
        }
        if let Some(p) = refusal_pointer {
            push_part(None, p, &mut text);
        }
        for p in parts.iter().filter(|p| p.status == Status::Refused) {
            text.push_str(&format!(
                "\n\nNot answered: \"{}\" — {}",
                p.question,
                p.reason.clone().unwrap_or_else(|| "unsafe request".into())
            ));
        }
        closest.extend(emergency_closest);
        let risk = verdict.risk_level.as_str().to_string();
        let risk = if risk == "none" && triggers.iter().any(|t| t == "false_premise") {
            "low".to_string()
        } else {
            risk
        };
        AskResponse {
            status,
            answer: text.trim().to_string(),
            mode,
            confidence: conf,
            citations,
            audit: audit_all,
            safety: SafetyInfo {
                risk_level: risk,
                triggers,
                message: verdict.message.clone(),
            },
            session_id: String::new(),
            request_id: String::new(),
            model,
            timings_ms: TimingsMs::default(),
            closest,
            parts,
            notes,
            model_used: String::new(),
            traced_sources: vec![],
            retrieval_score,
            alternatives: extras.alternatives,
            sources_differ: extras.sources_differ,
            corrected_query: extras.corrected_query,
        }
    }
}
