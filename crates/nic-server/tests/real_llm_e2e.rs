//! `/api/ask` end to end with a real OpenAI-compatible LLM server: llama.cpp's server with
//! SmolLM2-135M-Instruct, started here on a free loopback port. A 135M model answers
//! poorly; this proves the wiring — prompt with numbered evidence, streaming, the citation
//! audit, and the extractive fallback — not eloquence.
//!
//! Ignored by plain `cargo test`; `scripts/test-llm.sh` (`make test-llm`) prepares the
//! server and the model, sets `NIC_LLAMA_SERVER` / `NIC_LLM_GGUF` and runs it.

use nic_core::config::LlmBackend;
use nic_core::NicConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs llama.cpp's server: run `make test-llm`"]
async fn ask_with_real_llm_server() {
    let (Ok(bin), Ok(gguf)) = (
        std::env::var("NIC_LLAMA_SERVER"),
        std::env::var("NIC_LLM_GGUF"),
    ) else {
        println!("skipped: NIC_LLAMA_SERVER / NIC_LLM_GGUF not set (run `make test-llm`)");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Guard(
        Command::new(&bin)
            .args([
                "--model",
                &gguf,
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
                "1",
                "--alias",
                "smollm2",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start llama-server"),
    );
    let llm_url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let t = Instant::now();
    while !matches!(http.get(format!("{llm_url}/health")).send().await, Ok(r) if r.status().is_success())
    {
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "llama-server not ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let data = tempfile::tempdir().unwrap();
    let model = repo().join("models/all-MiniLM-L6-v2");
    let embedder = nic_embed::LazyEmbedder::new(&model).expect("model: run `make model`");
    let mut config = NicConfig {
        data_dir: data.path().to_path_buf(),
        embedding_model: model.to_string_lossy().into_owned(),
        llm_backend: LlmBackend::Openai,
        llm_url: llm_url.clone(),
        llm_model: Some("smollm2".into()),
        llm_timeout_s: 120,
        num_ctx: 2048,
        rate_limit_per_minute: 0,
        ..NicConfig::default()
    };
    let opts =
        nic_index::IngestOptions::from_config(&config, vec![repo().join("examples/manuals")]);
    nic_index::ingest(data.path(), &opts, &embedder, &|_| {}).expect("ingest");
    config.port = 0;
    let state = nic_server::build_state(config).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = nic_server::router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .ok();
    });

    let t = Instant::now();
    let resp: serde_json::Value = http
        .post(format!("{base}/api/ask"))
        .json(&serde_json::json!({
            "question": "What torque for the brake caliper bracket bolts?",
            "mode": "generative"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    println!("end-to-end /api/ask with SmolLM2-135M: {ms:.0} ms\n{resp:#}");
    assert_eq!(resp["status"], "answered");
    let mode = resp["mode"].as_str().unwrap();
    let answer = resp["answer"].as_str().unwrap();
    let n_cit = resp["citations"].as_array().unwrap().len();
    // Whatever the model said, no reference can point past the citations returned.
    for n in 1..=20 {
        if answer.contains(&format!("[{n}]")) {
            assert!(
                n <= n_cit,
                "answer cites [{n}] but only {n_cit} citations: {answer}"
            );
        }
    }
    match mode {
        "generative" => {
            assert_eq!(resp["model"], "smollm2");
            assert!(resp["audit"]["supported"].as_u64().unwrap() >= 1);
        }
        "extractive" => {
            let notes = resp["notes"].to_string();
            assert!(
                notes.contains("audit") || notes.contains("LLM"),
                "fallback without a note: {notes}"
            );
        }
        other => panic!("unexpected mode {other}"),
    }
    // The LLM was really contacted and the outcome counted.
    let llm = state.engine.llm().expect("llm configured");
    let total: u64 = llm.outcomes().iter().map(|(_, n)| n).sum();
    assert!(total >= 1);
}
