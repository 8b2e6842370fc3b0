//! Both wire protocols against the fake server: request contents, streaming, every injected
//! fault ending in the right error within the deadline, cancellation, and the breaker.

mod support;

use nic_llm::{
    build_prompt, BreakerState, CircuitBreaker, Evidence, Generator, LlmClient, LlmError,
    OllamaGenerator, OpenAiGenerator, Prompt, PromptBudget,
};
use serde_json::Value;
use std::time::{Duration, Instant};
use support::{refused_url, Fake, Mode, MODEL};

#[derive(Clone, Copy, Debug)]
enum Proto {
    Ollama,
    OpenAi,
}

const BOTH: [Proto; 2] = [Proto::Ollama, Proto::OpenAi];

fn generator(proto: Proto, url: &str) -> Box<dyn Generator> {
    match proto {
        Proto::Ollama => Box::new(OllamaGenerator::new(url, MODEL, 2048).unwrap()),
        Proto::OpenAi => Box::new(OpenAiGenerator::new(url, Some(MODEL)).unwrap()),
    }
}

fn evidence() -> Vec<Evidence> {
    let e = |n, page, section: &str, text: &str| Evidence {
        n,
        doc: "vehicle/brakes.pdf".into(),
        title: "Brake Service".into(),
        page,
        section: section.into(),
        text: text.into(),
    };
    vec![
        e(
            1,
            12,
            "Brakes > Caliper",
            "Tighten the caliper bolts to 85-95 ft-lbs.",
        ),
        e(
            2,
            13,
            "Brakes > Pads",
            "WARNING: never reuse pads contaminated with fluid.",
        ),
        e(
            3,
            14,
            "Brakes > Bleeding",
            "Bleed the brakes starting at the farthest wheel.",
        ),
    ]
}

fn prompt() -> Prompt {
    let words = |s: &str| s.split_whitespace().count();
    build_prompt(
        "What torque for the caliper bolts?",
        &evidence(),
        &PromptBudget::new(2048),
        &words,
    )
}

/// The text of the user message inside a recorded request body.
fn user_message(body: &Value) -> String {
    body["messages"][1]["content"].as_str().unwrap().to_string()
}

const ANSWER: &str = "Tighten the caliper bolts to 85-95 ft-lbs [1]. Never reuse contaminated pads — 100 °C is too hot [2].";

#[tokio::test]
async fn ollama_request_carries_options_and_evidence_and_streams_the_answer() {
    let fake = Fake::start(Mode::Answer(ANSWER.into())).await;
    let g = generator(Proto::Ollama, &fake.url);
    let out = g
        .generate(&prompt(), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(out.text, ANSWER);
    assert_eq!(out.model, MODEL);
    assert!(out.chunks > 5, "answer arrived in {} pieces", out.chunks);
    assert!(out.first_token_ms <= out.total_ms);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let (path, body) = &reqs[0];
    assert_eq!(path, "/api/chat");
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["stream"], true);
    assert_eq!(body["keep_alive"], "10m");
    assert_eq!(body["options"]["num_ctx"], 2048);
    assert_eq!(body["options"]["temperature"], 0.1);
    assert_eq!(body["options"]["seed"], 42);
    assert_eq!(body["options"]["num_predict"], 512);
    assert_eq!(body["messages"][0]["role"], "system");
    let user = user_message(body);
    assert!(user.contains("[1] vehicle/brakes.pdf — p.12 — Brakes > Caliper\nTighten the caliper bolts to 85-95 ft-lbs."));
    assert!(user.contains("[3] vehicle/brakes.pdf — p.14 — Brakes > Bleeding"));

    // The model was verified once; the second answer goes straight to /api/chat.
    let before = fake.hits();
    g.generate(&prompt(), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(fake.hits(), before + 1);
}

#[tokio::test]
async fn openai_request_carries_sampling_and_evidence_and_streams_the_answer() {
    let fake = Fake::start(Mode::Answer(ANSWER.into())).await;
    let g = generator(Proto::OpenAi, &format!("{}/v1", fake.url));
    let out = g
        .generate(&prompt(), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(out.text, ANSWER);
    assert_eq!(out.model, MODEL);
    assert!(out.chunks > 5);

    let reqs = fake.requests();
    let (path, body) = &reqs[0];
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["stream"], true);
    assert_eq!(body["temperature"], 0.1);
    assert_eq!(body["seed"], 42);
    assert_eq!(body["max_tokens"], 512);
    assert!(user_message(body).contains("[2] vehicle/brakes.pdf — p.13 — Brakes > Pads\nWARNING"));
}

#[tokio::test]
async fn unsupported_citations_and_numbers_come_back_verbatim_for_the_audit() {
    let bad = "Torque the bolts to 120 ft-lbs [9]. Replace the rotor at 3 mm [2].";
    for proto in BOTH {
        let fake = Fake::start(Mode::Answer(bad.into())).await;
        let out = generator(proto, &fake.url)
            .generate(&prompt(), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(out.text, bad, "{proto:?}");
    }
}

/// Runs one generation against a fake in `mode` and returns the error and the time taken.
async fn fault(proto: Proto, mode: Mode, deadline: Duration) -> (LlmError, Duration) {
    let fake = Fake::start(mode).await;
    let g = generator(proto, &fake.url);
    let t = Instant::now();
    let err = g.generate(&prompt(), deadline).await.unwrap_err();
    (err, t.elapsed())
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    for proto in BOTH {
        let url = refused_url().await;
        let err = generator(proto, &url)
            .generate(&prompt(), Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(
            matches!(err, LlmError::Connect { .. }),
            "{proto:?}: {err:?}"
        );
        assert!(err.to_string().contains("NOVA_LLM_URL"));
    }
}

#[tokio::test]
async fn slow_first_byte_ends_as_timeout_at_the_deadline() {
    for proto in BOTH {
        let deadline = Duration::from_millis(300);
        let (err, took) = fault(proto, Mode::SlowFirstByte, deadline).await;
        match &err {
            LlmError::Timeout { stage, .. } => {
                assert!(stage.contains("start its response"), "{stage}")
            }
            other => panic!("{proto:?}: expected a timeout, got {other:?}"),
        }
        // The fake would stall for a minute; the client gave up at its deadline.
        assert!(took < Duration::from_secs(20), "{proto:?} took {took:?}");
    }
}

#[tokio::test]
async fn http_500_is_an_http_error_with_the_body() {
    for proto in BOTH {
        let (err, _) = fault(proto, Mode::Status500, Duration::from_secs(10)).await;
        match err {
            LlmError::Http {
                status,
                body_snippet,
            } => {
                assert_eq!(status, 500);
                assert!(!body_snippet.is_empty());
            }
            other => panic!("{proto:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn malformed_json_line_is_a_protocol_error() {
    for proto in BOTH {
        let (err, _) = fault(proto, Mode::Malformed, Duration::from_secs(10)).await;
        assert!(
            matches!(&err, LlmError::Protocol(m) if m.contains("malformed JSON")),
            "{proto:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn stream_cut_mid_answer_is_a_protocol_error() {
    for proto in BOTH {
        let (err, _) = fault(proto, Mode::Cut, Duration::from_secs(10)).await;
        assert!(matches!(err, LlmError::Protocol(_)), "{proto:?}: {err:?}");
    }
}

#[tokio::test]
async fn missing_model_is_reported_with_the_available_ones() {
    for proto in BOTH {
        let (err, _) = fault(proto, Mode::ModelMissing, Duration::from_secs(10)).await;
        match &err {
            LlmError::ModelMissing { model, available } => {
                assert_eq!(model, MODEL);
                assert!(
                    available.iter().any(|m| m.starts_with("other")),
                    "{available:?}"
                );
            }
            other => panic!("{proto:?}: {other:?}"),
        }
    }
    // Ollama checks /api/tags first and never sends the chat request for a missing model.
    let fake = Fake::start(Mode::ModelMissing).await;
    let _ = generator(Proto::Ollama, &fake.url)
        .generate(&prompt(), Duration::from_secs(10))
        .await;
    assert_eq!(fake.chat_hits(), 0);
}

#[tokio::test]
async fn health_reports_reachability_and_model_presence() {
    for proto in BOTH {
        let fake = Fake::start(Mode::Answer("x".into())).await;
        let g = generator(proto, &fake.url);
        let h = g.health().await;
        assert!(
            h.reachable && h.model_present == Some(true),
            "{proto:?}: {h:?}"
        );

        fake.set_mode(Mode::ModelMissing);
        let h = g.health().await;
        assert!(
            h.reachable && h.model_present == Some(false),
            "{proto:?}: {h:?}"
        );
        assert!(h.detail.contains("other"), "{}", h.detail);

        let h = generator(proto, &refused_url().await).health().await;
        assert!(
            !h.reachable && h.model_present.is_none(),
            "{proto:?}: {h:?}"
        );
    }
    // The client caches probes: polling /health does not hammer the LLM server.
    let fake = Fake::start(Mode::Answer("x".into())).await;
    let c = client(Proto::Ollama, &fake.url, 3, Duration::from_secs(1));
    let s = c.status(Duration::from_secs(60)).await;
    assert_eq!((s.backend, s.health.model_present), ("ollama", Some(true)));
    c.status(Duration::from_secs(60)).await;
    assert_eq!(fake.hits(), 1);
    c.status(Duration::ZERO).await;
    assert_eq!(fake.hits(), 2);

    let fake = Fake::start(Mode::Answer("x".into())).await;
    fake.without_models_route();
    let h = generator(Proto::OpenAi, &fake.url).health().await;
    assert!(h.reachable && h.model_present.is_none(), "{h:?}");
}

fn client(proto: Proto, url: &str, failures: u32, cooldown: Duration) -> LlmClient {
    LlmClient::new(
        generator(proto, url),
        CircuitBreaker::new(failures, cooldown),
        Duration::from_secs(10),
        PromptBudget::new(2048),
    )
}

fn count(c: &LlmClient, label: &str) -> u64 {
    c.outcomes().iter().find(|(l, _)| *l == label).unwrap().1
}

#[tokio::test]
async fn breaker_opens_skips_the_server_then_half_opens_and_closes() {
    for proto in BOTH {
        let fake = Fake::start(Mode::Status500).await;
        let c = client(proto, &fake.url, 2, Duration::from_millis(500));
        let p = prompt();
        for _ in 0..2 {
            assert!(matches!(c.generate(&p).await, Err(LlmError::Http { .. })));
        }
        assert_eq!(c.breaker().state, BreakerState::Open);
        let hits = fake.chat_hits();
        let err = c.generate(&p).await.unwrap_err();
        assert!(
            matches!(err, LlmError::BreakerOpen { retry_in_s: 1 }),
            "{err:?}"
        );
        assert_eq!(
            fake.chat_hits(),
            hits,
            "an open breaker must not contact the server"
        );

        // Wait for the cooldown to pass (state, not timing, is what is checked).
        let waited = Instant::now();
        while c.breaker().state != BreakerState::HalfOpen {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "never half-opened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A failed trial re-opens it.
        assert!(matches!(c.generate(&p).await, Err(LlmError::Http { .. })));
        assert_eq!(c.breaker().state, BreakerState::Open);
        while c.breaker().state != BreakerState::HalfOpen {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "never half-opened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        fake.set_mode(Mode::Answer("Fine [1].".into()));
        assert_eq!(c.generate(&p).await.unwrap().text, "Fine [1].");
        let s = c.breaker();
        assert_eq!((s.state, s.consecutive_failures), (BreakerState::Closed, 0));
        assert_eq!(fake.chat_hits(), hits + 2);
        assert_eq!(count(&c, "http_error"), 3);
        assert_eq!(count(&c, "breaker_open"), 1);
        assert_eq!(count(&c, "ok"), 1);
    }
}

#[tokio::test]
async fn dropping_the_request_aborts_it_on_the_server() {
    for proto in BOTH {
        let fake = Fake::start(Mode::Hang).await;
        let c = client(proto, &fake.url, 1, Duration::from_secs(60));
        let p = prompt();
        // The caller gives up (client went away) while the answer is streaming.
        let gave_up = tokio::time::timeout(Duration::from_millis(300), c.generate(&p)).await;
        assert!(gave_up.is_err());
        let waited = Instant::now();
        while !fake.client_left() {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "{proto:?}: the server never saw the client leave"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(count(&c, "cancelled"), 1);
        // A cancellation says nothing about the server: the breaker (threshold 1) stays closed.
        assert_eq!(c.breaker().state, BreakerState::Closed);
    }
}

#[tokio::test]
async fn outcome_labels_cover_every_error() {
    let fake = Fake::start(Mode::Malformed).await;
    let c = client(Proto::Ollama, &fake.url, 100, Duration::from_secs(1));
    let p = prompt();
    let _ = c.generate(&p).await;
    fake.set_mode(Mode::ModelMissing);
    let _ = c.generate(&p).await;
    let c2 = client(
        Proto::OpenAi,
        &refused_url().await,
        100,
        Duration::from_secs(1),
    );
    let _ = c2.generate(&p).await;
    fake.set_mode(Mode::SlowFirstByte);
    let _ = c.generate_within(&p, Duration::from_millis(100)).await;
    assert_eq!(count(&c, "protocol_error"), 1);
    assert_eq!(count(&c, "model_missing"), 1);
    assert_eq!(count(&c2, "connect_error"), 1);
    assert_eq!(count(&c, "timeout"), 1);
    let labels: Vec<_> = c.outcomes().iter().map(|(l, _)| *l).collect();
    assert_eq!(
        labels,
        [
            "ok",
            "timeout",
            "connect_error",
            "http_error",
            "protocol_error",
            "model_missing",
            "breaker_open",
            "cancelled"
        ]
    );
}
