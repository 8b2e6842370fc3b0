//! The prompt: numbered evidence blocks that fit a token budget.
//!
//! Why a budget here and not on the server: an LLM server that receives more tokens than its
//! context window silently truncates the *front* of the prompt — the instructions and the
//! first (best) evidence — and the model then answers from what is left, citing numbers it
//! never saw. So the prompt is built to fit: evidence is added in rank order until the budget
//! (context window minus the room reserved for the answer) is full, and the caller learns how
//! many blocks were shown (`included`), so that it only ever cites evidence the model saw
//! (the provenance invariant of DESIGN §6).
//!
//! Token counts come from the caller (the embedder's tokenizer): a different tokenizer than
//! the LLM's, hence only an estimate, hence a 10 % safety margin and a per-message allowance
//! for the chat template.

use serde::{Deserialize, Serialize};

/// One piece of retrieved evidence, numbered as the answer will cite it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// 1-based reference number, cited as `[n]`.
    pub n: usize,
    /// Document path relative to its corpus root, e.g. `vehicle/brakes.pdf`.
    pub doc: String,
    pub title: String,
    /// Page number from extraction (0 = the format has no pages; then it is not shown).
    pub page: u32,
    /// Section path, e.g. `Brakes > Caliper`.
    pub section: String,
    pub text: String,
}

/// How many tokens the prompt may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptBudget {
    /// The model's context window (`OLLAMA_NUM_CTX`).
    pub num_ctx: usize,
    /// Tokens kept free for the answer; also sent as the generation limit.
    pub reserve_for_answer: usize,
}

impl PromptBudget {
    /// The default answer reserve (tokens).
    pub const DEFAULT_RESERVE: usize = 512;

    pub fn new(num_ctx: usize) -> Self {
        Self {
            num_ctx,
            reserve_for_answer: Self::DEFAULT_RESERVE.min(num_ctx / 2),
        }
    }

    /// Tokens available to the prompt itself.
    pub fn prompt_limit(&self) -> usize {
        self.num_ctx.saturating_sub(self.reserve_for_answer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.to_string(),
            content: content.into(),
        }
    }
}

/// A ready-to-send chat prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub messages: Vec<ChatMessage>,
    /// How many evidence blocks (a prefix of the input, in order) the prompt contains.
    pub included: usize,
    /// Estimated prompt tokens (margin and template allowance included).
    pub prompt_tokens_estimate: usize,
    /// Generation limit (`num_predict` / `max_tokens`).
    pub max_tokens: usize,
}

/// The rules the model must follow. Short sentences: small models follow those best.
pub const SYSTEM_PROMPT: &str = "You are NIC, an assistant for maintenance technicians. \
Answer ONLY from the numbered evidence in the user's message; never use outside knowledge. \
After every sentence, cite the evidence it comes from as [n], for example [1] or [2]. \
Copy numbers, units, part numbers and codes exactly as the evidence writes them. \
For a procedure, keep the steps in the order the evidence gives them. \
Keep every warning and caution from the evidence that applies to the answer. \
If the evidence does not answer the question, say plainly: \
\"The provided manual sections do not answer this question.\"";

/// Tokens allowed per message for the chat template (role markers, separators).
const PER_MESSAGE_OVERHEAD: usize = 8;

/// Estimated tokens of `text` with the 10 % safety margin.
fn with_margin(count_tokens: &dyn Fn(&str) -> usize, text: &str) -> usize {
    let n = count_tokens(text);
    n + n.div_ceil(10)
}

/// The header line of one evidence block: `[n] doc — p.N — section`.
pub fn evidence_header(e: &Evidence) -> String {
    let mut h = format!("[{}] {}", e.n, e.doc);
    if e.page > 0 {
        h.push_str(&format!(" — p.{}", e.page));
    }
    if !e.section.trim().is_empty() {
        h.push_str(&format!(" — {}", e.section.trim()));
    }
    h
}

fn evidence_block(e: &Evidence) -> String {
    format!("{}\n{}\n\n", evidence_header(e), e.text.trim())
}

/// Builds the system and user messages (see the module docs for the budget rule).
///
/// Evidence is taken in the given order and stops at the first block that does not fit, so
/// `included` is always a prefix: `evidence[..included]` is exactly what the model sees.
/// When not even the first block fits, `included` is 0 and the caller should not call the
/// LLM (there is nothing to answer from).
pub fn build_prompt(
    question: &str,
    evidence: &[Evidence],
    budget: &PromptBudget,
    count_tokens: &dyn Fn(&str) -> usize,
) -> Prompt {
    let question = question.trim();
    let intro = "Evidence:\n\n";
    let outro = format!(
        "Question: {question}\n\nAnswer from the evidence above only, citing [n] after every sentence."
    );
    let mut used = 2 * PER_MESSAGE_OVERHEAD
        + with_margin(count_tokens, SYSTEM_PROMPT)
        + with_margin(count_tokens, intro)
        + with_margin(count_tokens, &outro);
    let limit = budget.prompt_limit();

    let mut body = String::from(intro);
    let mut included = 0;
    for e in evidence {
        let block = evidence_block(e);
        let cost = with_margin(count_tokens, &block);
        if used + cost > limit {
            break;
        }
        used += cost;
        body.push_str(&block);
        included += 1;
    }
    if included == 0 {
        body.push_str("(no evidence)\n\n");
    }
    body.push_str(&outro);

    Prompt {
        messages: vec![
            ChatMessage::new("system", SYSTEM_PROMPT),
            ChatMessage::new("user", body),
        ],
        included,
        prompt_tokens_estimate: used,
        max_tokens: budget.reserve_for_answer.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> usize {
        s.split_whitespace().count()
    }

    fn ev(n: usize, text: &str) -> Evidence {
        Evidence {
            n,
            doc: "vehicle/brakes.pdf".into(),
            title: "Brakes".into(),
            page: 12,
            section: "Brakes > Caliper".into(),
            text: text.into(),
        }
    }

    #[test]
    fn blocks_are_numbered_with_doc_page_section() {
        let e = [ev(1, "Torque to 85-95 ft-lbs."), ev(2, "Check pads.")];
        let p = build_prompt("torque?", &e, &PromptBudget::new(4096), &words);
        assert_eq!(p.included, 2);
        let user = &p.messages[1].content;
        assert!(user
            .contains("[1] vehicle/brakes.pdf — p.12 — Brakes > Caliper\nTorque to 85-95 ft-lbs."));
        assert!(user.contains("[2] vehicle/brakes.pdf"));
        assert!(user.contains("Question: torque?"));
        assert_eq!(p.messages[0].role, "system");
        assert!(p.messages[0].content.contains("ONLY"));
        assert_eq!(p.max_tokens, 512);
    }

    #[test]
    fn page_zero_and_empty_section_are_omitted() {
        let mut e = ev(3, "x");
        e.page = 0;
        e.section = " ".into();
        assert_eq!(evidence_header(&e), "[3] vehicle/brakes.pdf");
    }

    #[test]
    fn evidence_stops_at_the_budget_and_is_a_prefix() {
        let long = "word ".repeat(100);
        let e: Vec<_> = (1..=5).map(|n| ev(n, &long)).collect();
        // Fixed cost ~ system + frame; each block ~ 110 tokens with the margin.
        let fixed =
            build_prompt("q", &[], &PromptBudget::new(100_000), &words).prompt_tokens_estimate;
        let budget = PromptBudget {
            num_ctx: fixed + 2 * 115 + 50 + 512,
            reserve_for_answer: 512,
        };
        let p = build_prompt("q", &e, &budget, &words);
        assert_eq!(p.included, 2);
        assert!(p.prompt_tokens_estimate <= budget.prompt_limit());
        let user = &p.messages[1].content;
        assert!(user.contains("[2] ") && !user.contains("[3] "));
    }

    #[test]
    fn a_later_small_block_is_not_pulled_in_past_a_big_one() {
        let e = vec![ev(1, &"w ".repeat(10_000)), ev(2, "small")];
        let p = build_prompt("q", &e, &PromptBudget::new(2048), &words);
        assert_eq!(p.included, 0);
        assert!(p.messages[1].content.contains("(no evidence)"));
        assert!(!p.messages[1].content.contains("small"));
    }

    #[test]
    fn margin_is_ten_percent_rounded_up() {
        assert_eq!(with_margin(&words, "a b c d e f g h i j k"), 13);
        assert_eq!(with_margin(&words, ""), 0);
    }
}
