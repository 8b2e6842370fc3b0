#!/usr/bin/env bash
# Proven offline (issue 16 item 5; DESIGN §6 "Offline"): `nic ingest`, `nic ask` and `nic serve`
# run inside a network namespace that has nothing but loopback, each under
# `strace -f -e trace=connect`, and every connect() they make must go to loopback
# (127.0.0.0/8, ::1) or an AF_UNIX socket. The namespace proves the commands *work* with no
# network; strace proves they do not even *try* to reach one (a failed attempt to a model hub or
# a DNS server is still a failure here).
#
# Skips (exit 0, with a message saying why) where strace, unshare or ip is missing, where ptrace
# is not allowed, or where network namespaces are not permitted (unprivileged containers).
#
# Usage: bash scripts/test-offline.sh [path/to/nic]   (default target/debug/nic)
# Env:   NIC_OFFLINE_KEEP=1 keeps the temp dir (data dir, strace logs) for inspection.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NIC="${1:-$ROOT/target/debug/nic}"
case "$NIC" in /*) ;; *) NIC="$ROOT/$NIC" ;; esac
MODEL="$ROOT/models/all-MiniLM-L6-v2"
MANUALS="$ROOT/examples/manuals"
QUESTION="How do I test the alternator charging voltage?"

log() { printf '[test-offline] %s\n' "$*"; }
skip() {
  log "SKIP: $*"
  exit 0
}
fail() {
  log "FAIL: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Outside the namespace: preflight, then re-run this script inside `unshare -n`.
if [ "${NIC_OFFLINE_INNER:-}" != 1 ]; then
  [ -x "$NIC" ] || fail "$NIC is missing (run \`cargo build -p nic\` or \`make test\`)"
  [ -f "$MODEL/model.safetensors" ] || fail "the embedding model is missing at $MODEL (run \`make model\`)"
  command -v strace >/dev/null || skip "strace is not installed (apt-get install strace); cannot watch connect() calls"
  command -v unshare >/dev/null || skip "unshare (util-linux) is not installed; cannot make a network namespace"
  command -v ip >/dev/null || skip "ip (iproute2) is not installed; cannot bring up loopback in the namespace"
  strace -f -e trace=connect -o /dev/null true 2>/dev/null ||
    skip "strace cannot trace here (ptrace not permitted in this container)"
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    ns=(unshare -n)
  elif unshare -rn true 2>/dev/null; then
    ns=(unshare -rn)
  else
    skip "network namespaces are not permitted here (unshare -n / unshare -rn: $(unshare -rn true 2>&1 | head -1))"
  fi
  # A clean environment: no LLM URL, no Redis/Postgres store, no NOVA_* left over from the shell.
  exec "${ns[@]}" env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 \
    NIC_OFFLINE_INNER=1 NIC_OFFLINE_KEEP="${NIC_OFFLINE_KEEP:-}" NIC_OFFLINE_NS="${ns[*]}" \
    bash "${BASH_SOURCE[0]}" "$NIC"
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespace.
started=$SECONDS
ip link set lo up || fail "cannot bring up lo in the namespace"
links="$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
[ "$links" = "lo " ] || fail "the namespace has interfaces other than lo: $links"
log "network namespace ($NIC_OFFLINE_NS): interfaces: ${links% }; $(ip -o -4 addr show lo | awk '{print $4}') $(ip -o -6 addr show lo | awk '{print $4}')"
if ip route get 1.1.1.1 >/dev/null 2>&1; then
  fail "the namespace has a route to 1.1.1.1"
fi
log "no route to 1.1.1.1 (non-loopback connect() fails with ENETUNREACH here)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/nic-offline.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "${NIC_OFFLINE_KEEP:-}" ]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
DATA="$TMP/data"
cd "$TMP" # no ./nic.toml from the checkout

# strace with a seccomp filter where supported (much less overhead on the non-traced syscalls).
STRACE=(strace -f -qq -e trace=connect)
if strace -f --seccomp-bpf -e trace=connect -o /dev/null true 2>/dev/null; then
  STRACE+=(--seccomp-bpf)
fi

# 1. ingest
"${STRACE[@]}" -o "$TMP/strace.ingest" \
  "$NIC" ingest "$MANUALS" --data-dir "$DATA" --model "$MODEL" -q >"$TMP/ingest.out" 2>&1 ||
  { cat "$TMP/ingest.out"; fail "nic ingest failed offline"; }
log "nic ingest: $(grep -m1 '^published' "$TMP/ingest.out" || tail -1 "$TMP/ingest.out")"

# 2. ask
"${STRACE[@]}" -o "$TMP/strace.ask" \
  "$NIC" ask "$QUESTION" --data-dir "$DATA" --model "$MODEL" --json >"$TMP/ask.json" 2>"$TMP/ask.err" ||
  { cat "$TMP/ask.err"; fail "nic ask failed offline"; }
grep -q '"status": *"answered"' "$TMP/ask.json" || { cat "$TMP/ask.json"; fail "nic ask did not answer"; }
grep -q '"chunk_id"' "$TMP/ask.json" || fail "nic ask answered without citations"
log "nic ask: answered with citations"

# 3. serve on an OS-chosen loopback port, queried from inside the namespace
"${STRACE[@]}" -o "$TMP/strace.serve" \
  bash -c 'echo $$ >"$0"; exec "$@"' "$TMP/serve.pid" \
  "$NIC" serve --bind 127.0.0.1 --port 0 --data-dir "$DATA" --model "$MODEL" >"$TMP/serve.out" 2>&1 &
STRACE_PID=$!
addr=""
for _ in $(seq 1 300); do
  addr="$(sed -n 's/^listening on http:\/\///p' "$TMP/serve.out" | head -1)"
  [ -n "$addr" ] && break
  kill -0 "$STRACE_PID" 2>/dev/null || break
  sleep 0.1
done
SERVER_PID="$(cat "$TMP/serve.pid" 2>/dev/null || true)"
[ -n "$addr" ] || { cat "$TMP/serve.out"; fail "nic serve did not start listening"; }
log "nic serve: listening on $addr"

http() { # METHOD PATH [JSON BODY] -> body on stdout, fails on a non-2xx status
  local method=$1 path=$2 body=${3:-}
  if command -v curl >/dev/null; then
    if [ -n "$body" ]; then
      curl -fsS -m 30 -X "$method" -H 'Content-Type: application/json' --data "$body" "http://$addr$path"
    else
      curl -fsS -m 30 -X "$method" "http://$addr$path"
    fi
  else # bash's /dev/tcp: enough for HTTP/1.1 with Connection: close
    local host=${addr%:*} port=${addr##*:} resp
    exec 3<>"/dev/tcp/$host/$port"
    printf '%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
      "$method" "$path" "$addr" "${#body}" "$body" >&3
    resp="$(cat <&3)"
    exec 3<&-
    [[ "$resp" =~ ^HTTP/1\.[01]\ 2 ]] || { printf '%s\n' "$resp" | head -1 >&2; return 1; }
    printf '%s' "${resp#*$'\r\n\r\n'}"
  fi
}
expect() { # WHAT PATTERN METHOD PATH [BODY]: the response body must match PATTERN
  local what=$1 pattern=$2 body
  body="$(http "${@:3}")" || fail "$what"
  grep -qi -- "$pattern" <<<"$body" || { printf '%s\n' "$body" | head -c 2000; fail "$what: no $pattern in the response"; }
}
expect "GET /health" '"status"' GET /health
expect "GET /api/status" '"version"' GET /api/status
expect "GET / (web UI)" '<html' GET /
expect "POST /api/search" '"doc"' POST /api/search '{"query":"brake caliper torque","k":3}'
ask_body="$(http POST /api/ask "{\"question\":\"$QUESTION\"}")" || fail "POST /api/ask"
grep -q '"status": *"answered"' <<<"$ask_body" || { echo "$ask_body"; fail "POST /api/ask did not answer"; }
log "nic serve: /health, /api/status, /, /api/search, /api/ask answered"
kill "$SERVER_PID"
wait "$STRACE_PID" 2>/dev/null || true
SERVER_PID=""

# ---------------------------------------------------------------------------------------------
# The connect() calls seen.
classify() { # strace log lines -> "FAMILY ADDRESS" per connect()
  grep -h 'connect(' "$@" | grep -v 'resumed>' | sed -E \
    -e 's/.*sa_family=AF_INET, sin_port=htons\(([0-9]+)\), sin_addr=inet_addr\("([^"]+)"\).*/AF_INET \2:\1/' \
    -e 's/.*sa_family=AF_INET6, sin6_port=htons\(([0-9]+)\).*inet_pton\(AF_INET6, "([^"]+)".*/AF_INET6 [\2]:\1/' \
    -e 's/.*sa_family=AF_UNIX, sun_path=(@?"[^"]*"|[^,}]*).*/AF_UNIX \1/' \
    -e 's/.*sa_family=AF_UNSPEC.*/AF_UNSPEC (disconnect)/' \
    -e '/^AF_/!s/^.*$/UNPARSED &/' || true
}
allowed() { # one "FAMILY ADDRESS" line
  case "$1" in
    "AF_INET 127."*) return 0 ;;
    "AF_INET6 [::1]:"* | "AF_INET6 [::ffff:127."*) return 0 ;;
    "AF_UNIX "* | "AF_UNSPEC "*) return 0 ;;
  esac
  return 1
}
bad=0
total=0
log "strace -f -e trace=connect summary:"
for step in ingest ask serve; do
  n="$(classify "$TMP/strace.$step" | grep -c . || true)"
  total=$((total + n))
  log "  nic $step: $n connect() call(s)"
  while read -r count what; do
    [ -n "${what:-}" ] || continue
    if allowed "$what"; then
      log "      $count x $what"
    else
      log "      $count x $what   <-- NOT LOOPBACK"
      bad=$((bad + count))
    fi
  done < <(classify "$TMP/strace.$step" | sort | uniq -c)
done
if [ "$bad" -gt 0 ]; then
  grep -h 'connect(' "$TMP"/strace.* | grep -v 'AF_UNIX\|127\.\|"::1"' | head -20
  fail "$bad connect() call(s) to non-loopback addresses (DESIGN §6: no code path opens a non-loopback connection unless an LLM URL is configured)"
fi
log "OK: $total connect() call(s), all to loopback or AF_UNIX; ingest, ask and serve worked with no network ($((SECONDS - started)) s)"
