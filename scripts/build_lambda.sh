#!/usr/bin/env bash
# Build the Lambda deployment package: dist/lambda.zip, byte-for-byte reproducible.
set -Eeuo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ARCH=${LAMBDA_ARCHITECTURE:-arm64}
RUNTIME=${LAMBDA_RUNTIME:-python3.13}
OUTPUT="$REPO_ROOT/dist/lambda.zip"
REBUILD=0

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--arch arm64|x86_64] [--runtime python3.12|python3.13] [--output PATH] [--rebuild]

Builds the Lambda package from lambda/*.py and the wheels pinned by sha256
in lambda/requirements.txt (pip --require-hashes; \`make lock-lambda\`
regenerates it), for the function's platform (Amazon Linux 2023), not this
machine's. The same inputs always give the same bytes. Writes a manifest
next to the zip (<output without .zip>.manifest.json): the wheels and
sources that went in, and every entry of the zip, with their sha256;
scripts/lib/package_manifest.py verify checks a zip against it.

A zip whose manifest shows it was built from the same sources, requirements
and platform, and that still matches its manifest, is kept as it is: the
build would give the same bytes (package_manifest.py current decides).

Options:
  --arch ARCH        arm64 (default) or x86_64; must match lambda_architecture
  --runtime RUNTIME  python3.13 (default) or python3.12; must match lambda_runtime
  --output PATH      where to write the zip (default: dist/lambda.zip)
  --rebuild          build even when the zip is up to date
  -h, --help         show this help

Environment: LAMBDA_ARCHITECTURE and LAMBDA_RUNTIME set the defaults.
USAGE
}

while (($#)); do
  case $1 in
    --arch) ARCH=$(option_value "$@") || exit 2; shift 2 ;;
    --runtime) RUNTIME=$(option_value "$@") || exit 2; shift 2 ;;
    --output) OUTPUT=$(option_value "$@") || exit 2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

case $ARCH in
  arm64) MACHINE=aarch64 ;;
  x86_64) MACHINE=x86_64 ;;
  *) usage_error "--arch must be arm64 or x86_64, not '$ARCH'" ;;
esac
[[ $RUNTIME =~ ^python3\.(12|13)$ ]] || usage_error "--runtime must be python3.12 or python3.13, not '$RUNTIME'"
PY_VERSION=${RUNTIME#python}

PYTHON=$(project_python)
MANIFEST="${OUTPUT%.zip}.manifest.json"
if ((!REBUILD)) && "$PYTHON" "$REPO_ROOT/scripts/lib/package_manifest.py" current --zip "$OUTPUT" \
  --manifest "$MANIFEST" --sources "$REPO_ROOT/lambda" --requirements "$REPO_ROOT/lambda/requirements.txt" \
  --platform "$RUNTIME/$ARCH" >/dev/null 2>&1; then
  ok "${OUTPUT#"$REPO_ROOT"/} is up to date: built from these sources, requirements and platform (--rebuild builds again)"
  info "sha256:   $(sha256sum "$OUTPUT" | cut -d' ' -f1)"
  exit 0
fi
STAGING=$(mktemp -d "${TMPDIR:-/tmp}/lambda-build.XXXXXX")
trap 'rm -rf "$STAGING" "$STAGING.wheels"' EXIT

step "Installing $(grep -cE '^[a-zA-Z]' "$REPO_ROOT/lambda/requirements.txt") pinned wheel(s) for $RUNTIME on $ARCH (hash-checked)"
# The Python runtimes run on Amazon Linux 2023 (glibc 2.34): manylinux2014 and
# manylinux_2_28 wheels both run there, and newer Pillow ships only the latter.
# --require-hashes: every wheel must match a sha256 of lambda/requirements.txt
# (make lock-lambda), or pip refuses it. Downloaded first, so that the
# manifest can name the exact files installed.
WHEELS="$STAGING.wheels"
mkdir -p "$WHEELS"
PLATFORM_ARGS=(--platform "manylinux2014_${MACHINE}" --platform "manylinux_2_28_${MACHINE}"
  --python-version "$PY_VERSION" --implementation cp --only-binary=:all:)
if ! "$PYTHON" -m pip download --quiet --disable-pip-version-check --require-hashes "${PLATFORM_ARGS[@]}" \
  --dest "$WHEELS" --requirement "$REPO_ROOT/lambda/requirements.txt" 2>"$STAGING.pip.log" ||
  ! "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile --require-hashes --no-index \
    --find-links "$WHEELS" "${PLATFORM_ARGS[@]}" \
    --target "$STAGING/package" --requirement "$REPO_ROOT/lambda/requirements.txt" 2>>"$STAGING.pip.log"; then
  cat "$STAGING.pip.log" >&2
  rm -f "$STAGING.pip.log"
  die "could not fetch hash-checked binary wheels for $RUNTIME/$ARCH (is the package index reachable? does lambda/requirements.txt need 'make lock-lambda'? see above)"
fi
rm -f "$STAGING.pip.log"

step "Adding the handler modules"
cp "$REPO_ROOT"/lambda/*.py "$STAGING/package/"

mkdir -p "$(dirname "$OUTPUT")"
"$PYTHON" - "$STAGING/package" "$OUTPUT" <<'PY'
"""Zip a directory reproducibly: sorted entries, fixed timestamps and modes."""
import os
import sys
import zipfile

source, target = sys.argv[1], sys.argv[2]
skip_dirs = {"__pycache__", "tests", "test"}
entries = []
for root, dirs, files in os.walk(source):
    dirs[:] = sorted(d for d in dirs if d not in skip_dirs)
    for name in files:
        if name.endswith((".pyc", ".pyo")):
            continue
        path = os.path.join(root, name)
        entries.append((os.path.relpath(path, source).replace(os.sep, "/"), path))

tmp = target + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    for arcname, path in sorted(entries):
        info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(path, "rb") as f:
            archive.writestr(info, f.read(), compresslevel=9)
os.replace(tmp, target)
print(f"    {len(entries)} files")
PY

step "Recording what went into it"
"$PYTHON" "$REPO_ROOT/scripts/lib/package_manifest.py" write --zip "$OUTPUT" --wheels "$WHEELS" \
  --sources "$REPO_ROOT/lambda" --requirements "$REPO_ROOT/lambda/requirements.txt" \
  --platform "$RUNTIME/$ARCH" --output "$MANIFEST" >/dev/null

size=$(wc -c <"$OUTPUT")
unzipped=$("$PYTHON" -c 'import sys, zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()))' "$OUTPUT")
ok "built ${OUTPUT#"$REPO_ROOT"/}"
info "size:     $size bytes zipped, $unzipped bytes unzipped (Lambda allows 50 MB zipped, 250 MB unzipped)"
info "sha256:   $(sha256sum "$OUTPUT" | cut -d' ' -f1)"
info "platform: $RUNTIME on $ARCH"
info "manifest: ${MANIFEST#"$REPO_ROOT"/} (wheels, sources and every entry, with their sha256)"
