#!/usr/bin/env bash
# Validate deploy/ with each file's own tool:
#   systemd-analyze verify   deploy/nova-nic.service          (Debian package: systemd)
#   promtool check rules     deploy/prometheus/*.yml          (Debian package: prometheus)
#   promtool test rules      deploy/prometheus/*.test.yml
#   docker compose config    deploy/docker-compose.yml        (only if a compose client runs)
#
# Exit status: non-zero when a check that ran found a problem, or when a required tool is
# missing and VALIDATE_DEPLOY_REQUIRE=1 (CI sets it after installing the packages). Every
# skipped check is printed with the reason.
#
# Why the unit is verified from a temporary copy: `systemd-analyze verify` fails when the
# ExecStart binary does not exist (it is not installed on a build machine), so the copy points
# ExecStart at an existing binary (target/{release,debug}/nic if built, else /bin/true).
# verify exits 0 even for unknown keys and unparsable values (it only logs them), so any
# message that names the unit file is treated as a failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="${DEPLOY_DIR:-$ROOT/deploy}"
REQUIRE="${VALIDATE_DEPLOY_REQUIRE:-0}"
failures=0
skipped=0

passed=0
ok()   { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
skip() {
    if [[ "$REQUIRE" == "1" ]]; then
        fail "$* (VALIDATE_DEPLOY_REQUIRE=1)"
    else
        echo "skipped: $*"
        skipped=$((skipped + 1))
    fi
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# ---- systemd unit ----
if command -v systemd-analyze >/dev/null 2>&1; then
    exe=/bin/true
    for cand in "$ROOT/target/release/nic" "$ROOT/target/debug/nic"; do
        if [[ -x "$cand" ]]; then exe="$cand"; break; fi
    done
    unit="$TMP/nova-nic.service"
    if ! grep -q '^ExecStart=/usr/local/bin/nic serve$' "$DEPLOY/nova-nic.service"; then
        fail "nova-nic.service: ExecStart is not '/usr/local/bin/nic serve'"
    fi
    sed "s#^ExecStart=/usr/local/bin/nic#ExecStart=$exe#" "$DEPLOY/nova-nic.service" >"$unit"
    out="$(SYSTEMD_LOG_LEVEL=notice SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$unit" 2>&1)"
    rc=$?
    # Messages about the unit itself (unknown keys, bad values, missing commands).
    problems="$(grep -E 'nova-nic\.service' <<<"$out" || true)"
    if [[ $rc -ne 0 || -n "$problems" ]]; then
        fail "systemd-analyze verify nova-nic.service (rc=$rc):"$'\n'"${problems:-$out}"
    else
        ok "systemd-analyze verify nova-nic.service (ExecStart checked with $exe)"
        [[ -n "$out" ]] && echo "  (notes from systemd-analyze, not about the unit:)" && sed 's/^/  /' <<<"$out"
    fi
    # The properties the runbook relies on must be present.
    for key in 'MemoryMax=' 'MemoryHigh=' 'Restart=on-failure' 'User=nic' \
               'ProtectSystem=strict' 'ReadWritePaths=/var/lib/nova-nic' 'NoNewPrivileges=yes'; do
        grep -q "^$key" "$DEPLOY/nova-nic.service" || fail "nova-nic.service lacks $key"
    done
else
    skip "systemd-analyze not installed (apt-get install systemd)"
fi

# ---- Prometheus rules ----
if command -v promtool >/dev/null 2>&1; then
    if promtool check rules "$DEPLOY/prometheus/nova-nic-alerts.yml"; then
        ok "promtool check rules"
    else
        fail "promtool check rules deploy/prometheus/nova-nic-alerts.yml"
    fi
    if (cd "$DEPLOY/prometheus" && promtool test rules nova-nic-alerts.test.yml); then
        ok "promtool test rules"
    else
        fail "promtool test rules deploy/prometheus/nova-nic-alerts.test.yml"
    fi
    for alert in HighMemoryUsage MemoryLeakSuspected OOMRisk HighLatency HighErrorRate RequestsShed; do
        grep -q "alert: $alert\$" "$DEPLOY/prometheus/nova-nic-alerts.yml" || fail "alert $alert missing"
    done
else
    skip "promtool not installed (apt-get install prometheus)"
fi

# ---- docker compose ----
# `config` only parses and interpolates the file; it needs the client, not a running engine.
compose=()
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif docker-compose version >/dev/null 2>&1; then
    compose=(docker-compose)
fi
if [[ ${#compose[@]} -gt 0 ]]; then
    if out="$("${compose[@]}" -f "$DEPLOY/docker-compose.yml" config -q 2>&1)"; then
        ok "${compose[*]} config"
    else
        fail "${compose[*]} -f deploy/docker-compose.yml config:"$'\n'"$out"
    fi
else
    # Not a failure even with VALIDATE_DEPLOY_REQUIRE: Debian 12 ships no compose v2 plugin.
    echo "skipped: docker compose plugin unavailable"
    skipped=$((skipped + 1))
fi
# Static checks of the compose file and Dockerfile that need no tool.
for pat in 'mem_limit:' 'OLLAMA_HOST: http://ollama:11434' 'NOVA_LLM_BACKEND: ollama' \
           '/health/ready' 'ollama list'; do
    grep -qF "$pat" "$DEPLOY/docker-compose.yml" || fail "docker-compose.yml lacks '$pat'"
done
for pat in 'USER 10001' 'EXPOSE 5000' 'HEALTHCHECK' 'NOVA_BIND=0.0.0.0' 'cargo build --release --locked -p nic'; do
    grep -qF "$pat" "$DEPLOY/Dockerfile" || fail "Dockerfile lacks '$pat'"
done

echo "validate-deploy: $passed passed, $failures failed, $skipped skipped"
[[ $failures -eq 0 ]]
