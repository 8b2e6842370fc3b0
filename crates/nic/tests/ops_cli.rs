//! The operator commands driven through the real binary: `nic index stats|verify|rollback`,
//! `nic monitor` and `nic diagnose`, against a tiny corpus ingested with the real model.
//!
//! Every test gets its own data directory and a cleared environment (so a developer's
//! `NOVA_*` variables or `nic.toml` cannot change the outcome).

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NIC: &str = env!("CARGO_BIN_EXE_nic");
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2");

fn model() -> Option<PathBuf> {
    let p = PathBuf::from(MODEL);
    if p.join("model.safetensors").is_file() {
        Some(p.canonicalize().unwrap())
    } else {
        eprintln!("skipped: no embedding model at {MODEL} (run `make model`)");
        None
    }
}

/// A temp workspace: `corpus/` with a few manuals and `data/` as the data directory.
struct Fixture {
    dir: tempfile::TempDir,
    model: PathBuf,
}

impl Fixture {
    fn new(model: PathBuf) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("corpus");
        std::fs::create_dir_all(c.join("hvac")).unwrap();
        std::fs::create_dir_all(c.join("vehicle")).unwrap();
        std::fs::write(
            c.join("hvac/compressor.txt"),
            "Compressor maintenance\n\nCheck the refrigerant pressure at the service valve. \
             Normal suction pressure is 70 psi.\n",
        )
        .unwrap();
        std::fs::write(
            c.join("vehicle/alternator.md"),
            "# Alternator test\n\nMeasure battery voltage with the engine running; expect 13.8 \
             to 14.4 V.\n",
        )
        .unwrap();
        std::fs::write(
            c.join("vehicle/brakes.txt"),
            "Brake pads\n\nReplace the brake pads when the lining is thinner than 3 mm.\n",
        )
        .unwrap();
        Self { dir, model }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn gen_dir(&self, id: u64) -> PathBuf {
        self.data().join("generations").join(format!("gen-{id:06}"))
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(NIC);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.dir.path())
            .arg("--data-dir")
            .arg(self.data())
            .arg("--model")
            .arg(&self.model)
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ingest(&self) {
        let corpus = self.dir.path().join("corpus");
        let out = self.run(&["ingest", corpus.to_str().unwrap(), "-q"]);
        assert!(out.status.success(), "ingest failed: {}", text(&out.stderr));
    }

    /// Two generations: 3 documents, then 4.
    fn two_generations(&self) {
        self.ingest();
        std::fs::write(
            self.dir.path().join("corpus/hvac/filters.txt"),
            "Filters\n\nReplace the air filter every three months.\n",
        )
        .unwrap();
        self.ingest();
    }

    fn stats(&self) -> Value {
        let out = self.run(&["index", "stats", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn index_stats_json_describes_the_current_generation() {
    let Some(m) = model() else { return };
    let f = Fixture::new(m);
    let out = f.run(&["index", "stats"]);
    assert_eq!(out.status.code(), Some(2), "no index yet must fail");
    assert!(
        text(&out.stderr).contains("nic ingest"),
        "{}",
        text(&out.stderr)
    );

    f.ingest();
    let s = f.stats();
    assert_eq!(s["generation"], 1);
    assert_eq!(s["documents"], 3);
    let chunks = s["chunks"].as_u64().unwrap();
    assert!(chunks >= 3, "{s}");
    assert_eq!(s["vectors"].as_u64(), Some(chunks));
    assert_eq!(s["dimension"], 384);
    assert_eq!(s["vector_kind"], "flat-i8");
    assert_eq!(s["scalar_type"], "i8");
    assert_eq!(s["rescoring"], "f32");
    assert!(s["model_id"]
        .as_str()
        .unwrap()
        .starts_with("all-MiniLM-L6-v2"));
    assert!(s["open_error"].is_null());

    let files = s["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|x| x["path"].as_str().unwrap()).collect();
    for want in ["vectors.i8", "vectors.f32", "chunks.sqlite"] {
        assert!(paths.contains(&want), "{paths:?}");
    }
    let sum: u64 = files.iter().map(|x| x["bytes"].as_u64().unwrap()).sum();
    let disk = s["disk_bytes"].as_u64().unwrap();
    assert_eq!(sum, disk);
    let f32_bytes = files.iter().find(|x| x["path"] == "vectors.f32").unwrap()["bytes"]
        .as_u64()
        .unwrap();
    assert_eq!(f32_bytes, 32 + chunks * 384 * 4, "header + f32 rows");
    let heap = s["heap_bytes"].as_u64().unwrap();
    assert!(heap > 0);
    assert_eq!(s["estimated_ram_bytes"].as_u64(), Some(disk + heap));
    assert!(s["resident_bytes"].as_u64().unwrap() <= disk);

    let gens = s["generations"].as_array().unwrap();
    assert_eq!(gens.len(), 1);
    assert_eq!(gens[0]["id"], 1);
    assert_eq!(gens[0]["current"], true);

    let out = f.run(&["index", "stats"]);
    let t = text(&out.stdout);
    assert!(
        t.contains("flat-i8") && t.contains("384 dims") && t.contains("resident now"),
        "{t}"
    );
}

#[test]
fn index_verify_names_the_damaged_files() {
    let Some(m) = model() else { return };
    let f = Fixture::new(m);
    f.two_generations();
    let out = f.run(&["index", "verify"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let t = text(&out.stdout);
    assert!(
        t.contains("generation 2 (current): OK") && t.contains("generation 1: OK"),
        "{t}"
    );

    // A flipped bit in the current generation, a truncation in the older one.
    let v = f.gen_dir(2).join("vectors.f32");
    let mut bytes = std::fs::read(&v).unwrap();
    bytes[100] ^= 0x10;
    std::fs::write(&v, bytes).unwrap();
    let c = f.gen_dir(1).join("chunks.sqlite");
    let len = std::fs::metadata(&c).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&c)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let out = f.run(&["index", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out.stdout);
    assert!(t.contains("generation 2 (current): DAMAGED"), "{t}");
    assert!(t.contains("vectors.f32: sha256 differs"), "{t}");
    assert!(t.contains("generation 1: DAMAGED"), "{t}");
    assert!(
        t.contains("chunks.sqlite:") && t.contains("manifest says"),
        "{t}"
    );

    let out = f.run(&["index", "verify", "--generation", "1", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let gens = v["generations"].as_array().unwrap();
    assert_eq!(gens.len(), 1);
    let problems = gens[0]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["path"], "chunks.sqlite");

    let out = f.run(&["index", "verify", "--generation", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does not exist"));
}

#[test]
fn index_rollback_switches_the_current_generation() {
    let Some(m) = model() else { return };
    let f = Fixture::new(m);
    f.two_generations();
    assert_eq!(f.stats()["generation"], 2);

    let out = f.run(&["index", "rollback"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("from generation 2 to generation 1"),
        "{}",
        text(&out.stdout)
    );
    let s = f.stats();
    assert_eq!(s["generation"], 1);
    assert_eq!(s["documents"], 3);

    let out = f.run(&["index", "rollback"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no older generation"),
        "{}",
        text(&out.stderr)
    );

    let out = f.run(&["index", "rollback", "--to", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(f.stats()["generation"], 2);
}

#[test]
fn index_convert_switches_the_vector_tier_and_rolls_back() {
    let Some(m) = model() else { return };
    let f = Fixture::new(m);
    f.ingest();
    let out = f.run(&[
        "index",
        "convert",
        "--vector",
        "hnsw",
        "--quantize",
        "f16",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["from_kind"], "flat-i8");
    assert_eq!(r["kind"], "hnsw-f16");
    assert!(r["recall_at_10"].as_f64().unwrap() >= 0.9, "{r}");
    let s = f.stats();
    assert_eq!(s["vector_kind"], "hnsw-f16");
    assert_eq!(s["vector_layout"], "hnsw");
    assert!(s["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "vectors.hnsw"));
    let out = f.run(&["search", "alternator", "--k", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    for bad in [
        ["--vector", "ivf", "--quantize", "f16"],
        ["--vector", "flat", "--quantize", "f64"],
    ] {
        let mut args = vec!["index", "convert"];
        args.extend(bad);
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            text(&out.stderr).contains("unknown"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = f.run(&["index", "rollback"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(f.stats()["vector_kind"], "flat-i8");
}

#[test]
fn monitor_samples_a_pid_as_csv_and_plots() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    // The monitor never loads the model.
    let f = Fixture::new(PathBuf::from(MODEL));
    let me = std::process::id().to_string();
    let out = f.run(&[
        "monitor",
        "--pid",
        &me,
        "--count",
        "2",
        "--interval",
        "0.2",
        "--csv",
        "--plot",
        "mem.svg",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 3, "{t}");
    assert!(lines[0].starts_with("time,unix_ms,rss_bytes"), "{t}");
    let fields = lines[0].split(',').count();
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), fields, "{l}");
        let rss: u64 = l.split(',').nth(2).unwrap().parse().unwrap();
        assert!(rss > 0, "{l}");
    }
    let svg = std::fs::read_to_string(f.dir.path().join("mem.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("2 samples"),
        "{svg}"
    );

    let out = f.run(&["monitor", "--pid", "4000000000", "--count", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "no header without a sample");
}

#[test]
fn monitor_stops_cleanly_on_ctrl_c_and_still_writes_the_plot() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    use std::io::BufRead;
    // The monitor never loads the model.
    let f = Fixture::new(PathBuf::from(MODEL));
    let me = std::process::id().to_string();
    let mut child = f
        .cmd(&[
            "monitor",
            "--pid",
            &me,
            "--interval",
            "0.1",
            "--plot",
            "live.svg",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let header = lines.next().unwrap().unwrap();
    assert!(header.starts_with("TIME"), "{header}");
    let first = lines.next().unwrap().unwrap();
    assert!(!first.is_empty());
    // SAFETY: sends SIGINT to the child we spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("interrupted"), "{err}");
    let svg = std::fs::read_to_string(f.dir.path().join("live.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
}

/// A fake server on loopback answering `/health` and `/debug/memory` twice; returns its
/// base URL and the requests it saw.
fn fake_server() -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            let req = text(&buf[..n]);
            let body = if req.starts_with("GET /health ") {
                r#"{"status":"healthy","checks":{"memory":{"status":"pass","rss_bytes":1234}}}"#
            } else {
                r#"{"allocator":{"allocated":42},"consumers":[]}"#
            };
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(resp.as_bytes()).unwrap();
            seen.push(req);
        }
        seen
    });
    (base, handle)
}

#[test]
fn diagnose_writes_every_section_and_no_secret() {
    let Some(m) = model() else { return };
    let f = Fixture::new(m);
    f.ingest();
    let (base, server) = fake_server();
    let out = f
        .cmd(&["diagnose", "--out", "report.txt", "--url", &base])
        .env("NOVA_API_TOKEN", "s3cret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "report.txt");
    let requests = server.join().unwrap();
    assert!(requests.iter().any(|r| r.starts_with("GET /health ")));
    assert!(requests.iter().any(|r| r.starts_with("GET /debug/memory ")));
    assert!(
        requests.iter().all(|r| r.contains("X-API-TOKEN: s3cret")),
        "the token is sent to the server: {requests:?}"
    );

    let report = std::fs::read_to_string(f.dir.path().join("report.txt")).unwrap();
    for title in nic_ops::diagnose::SECTIONS {
        assert!(
            report.contains(&format!("==== {title} ====")),
            "missing {title}"
        );
    }
    assert!(!report.contains("s3cret"), "secret leaked into the report");
    assert!(
        report.contains("api_token = \"********\""),
        "token is shown as masked"
    );
    assert!(
        report.contains("flat-i8") && report.contains("384 dims"),
        "index stats"
    );
    assert!(report.contains("\"rss_bytes\": 1234"), "/health body");
    assert!(report.contains("\"allocated\": 42"), "/debug/memory body");
    assert!(report.contains(&format!("nic {}", env!("CARGO_PKG_VERSION"))));
}
