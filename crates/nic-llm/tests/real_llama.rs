//! Against a real OpenAI-compatible server: llama.cpp's `llama-server` with
//! SmolLM2-135M-Instruct, started here on an OS-chosen loopback port.
//!
//! Ignored by plain `cargo test` (it needs a binary that takes minutes to build);
//! `scripts/test-llm.sh` builds/locates it, sets `NIC_LLAMA_SERVER` and `NIC_LLM_GGUF`,
//! and runs `cargo test -p nic-llm -- --ignored`. A 135M model answers poorly: this proves
//! the protocol and streaming, not eloquence.

use nic_llm::{
    build_prompt, CircuitBreaker, Evidence, Generator, LlmClient, OpenAiGenerator, PromptBudget,
};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ALIAS: &str = "SmolLM2-135M-Instruct";

/// Kills the server when the test ends, panics included.
struct ServerGuard {
    child: Child,
    log: PathBuf,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("llama-server log kept at {}", self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

impl ServerGuard {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(2000);
        text.get(start..).unwrap_or_default().to_string()
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `--threads 1`: on a small shared box (2 cores, cargo building next to it) ggml's
/// spin-waiting worker threads collapse under oversubscription — measured here: 2 threads
/// 6–8 tokens/s under load, 1 thread ~90 tokens/s. A 135M model needs no more than one
/// (`NIC_LLAMA_THREADS` overrides).
fn start_server(bin: &str, gguf: &str) -> (ServerGuard, String) {
    let port = free_port();
    let threads = std::env::var("NIC_LLAMA_THREADS").unwrap_or_else(|_| "1".into());
    let log = std::env::temp_dir().join(format!("nic-llama-server-{port}.log"));
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(bin)
        .args([
            "--model",
            gguf,
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args([
            "--ctx-size",
            "2048",
            "--parallel",
            "1",
            "--threads",
            &threads,
            "--alias",
            ALIAS,
        ])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    (
        ServerGuard { child, log },
        format!("http://127.0.0.1:{port}"),
    )
}

async fn wait_ready(guard: &mut ServerGuard, url: &str) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let t = Instant::now();
    loop {
        if let Some(status) = guard.child.try_wait().unwrap() {
            panic!("llama-server exited ({status}):\n{}", guard.log_tail());
        }
        if let Ok(r) = http.get(format!("{url}/health")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "llama-server not ready after 180 s:\n{}",
            guard.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn evidence() -> Vec<Evidence> {
    let e = |n, page, section: &str, text: &str| Evidence {
        n,
        doc: "vehicle/brakes.pdf".into(),
        title: "Brake Service Manual".into(),
        page,
        section: section.into(),
        text: text.into(),
    };
    vec![
        e(1, 12, "Brakes > Caliper > Installation",
          "Install the caliper bracket bolts and tighten them to 85-95 ft-lbs. Use new bolts if the threads are damaged."),
        e(2, 12, "Brakes > Caliper > Warnings",
          "WARNING: Never reuse caliper bolts that are stretched. Always torque in a cross pattern."),
        e(3, 14, "Brakes > Pads",
          "Replace the brake pads when the lining is thinner than 3 mm."),
    ]
}

#[tokio::test]
#[ignore = "needs llama.cpp's server: run scripts/test-llm.sh"]
async fn llama_cpp_server_streams_an_answer_from_the_evidence() {
    let (Ok(bin), Ok(gguf)) = (
        std::env::var("NIC_LLAMA_SERVER"),
        std::env::var("NIC_LLM_GGUF"),
    ) else {
        eprintln!("skipping: set NIC_LLAMA_SERVER and NIC_LLM_GGUF (scripts/test-llm.sh does)");
        return;
    };
    let (mut guard, url) = start_server(&bin, &gguf);
    let t_start = Instant::now();
    wait_ready(&mut guard, &url).await;
    eprintln!(
        "llama-server ready in {:.1} s",
        t_start.elapsed().as_secs_f64()
    );

    let generator = OpenAiGenerator::new(&url, Some(ALIAS)).unwrap();
    let health = generator.health().await;
    assert!(health.reachable, "{health:?}");
    assert_eq!(health.model_present, Some(true), "{health:?}");

    let client = LlmClient::new(
        Box::new(generator),
        CircuitBreaker::new(3, Duration::from_secs(30)),
        Duration::from_secs(120),
        PromptBudget {
            num_ctx: 2048,
            reserve_for_answer: 256,
        },
    );
    let words = |s: &str| s.split_whitespace().count() * 4 / 3 + 1;
    let question = "What torque should the brake caliper bolts be tightened to?";
    let prompt = build_prompt(question, &evidence(), &client.budget(), &words);
    assert_eq!(prompt.included, 3);

    let t = Instant::now();
    let out = client.generate(&prompt).await.unwrap();
    let e2e = t.elapsed();
    eprintln!(
        "answer ({} streamed pieces, first token {:.0} ms, total {:.0} ms, end-to-end {:.0} ms, model {}):\n{}",
        out.chunks,
        out.first_token_ms,
        out.total_ms,
        e2e.as_secs_f64() * 1000.0,
        out.model,
        out.text
    );
    assert!(!out.text.trim().is_empty(), "empty answer");
    assert!(
        out.chunks > 1,
        "the answer did not stream ({} piece)",
        out.chunks
    );
    assert!(out.first_token_ms < out.total_ms);
    let ok = client
        .outcomes()
        .iter()
        .find(|(l, _)| *l == "ok")
        .unwrap()
        .1;
    assert_eq!(ok, 1);
}
