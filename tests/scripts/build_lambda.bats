#!/usr/bin/env bats
# The package: reproducible, for the Lambda's platform, nothing that does not belong.

load helpers
bats_require_minimum_version 1.5.0

# One build per architecture for the file: the tests that only read a package
# read these (a build is pip installing every wheel, the file's main cost);
# the reproducibility test builds again and compares with the first.
setup_file() {
  "$REPO_ROOT/scripts/build_lambda.sh" --output "$BATS_FILE_TMPDIR/arm64.zip" >"$BATS_FILE_TMPDIR/arm64.log" 2>&1
  "$REPO_ROOT/scripts/build_lambda.sh" --arch x86_64 --output "$BATS_FILE_TMPDIR/x86_64.zip" >/dev/null
}

# package ARCH NAME: a copy of the file's ARCH package (and its manifest) as NAME.zip in the test's directory.
package() {
  cp "$BATS_FILE_TMPDIR/$1.zip" "$BATS_TEST_TMPDIR/$2.zip"
  cp "$BATS_FILE_TMPDIR/$1.manifest.json" "$BATS_TEST_TMPDIR/$2.manifest.json"
}

@test "two builds of the same inputs are byte-identical" {
  grep -q "sha256:" "$BATS_FILE_TMPDIR/arm64.log"
  sleep 1 # a different clock must not change the bytes
  run "$REPO_ROOT/scripts/build_lambda.sh" --output "$BATS_TEST_TMPDIR/b.zip"
  [ "$status" -eq 0 ]
  [[ $output == *"sha256:"* ]]
  cmp "$BATS_FILE_TMPDIR/arm64.zip" "$BATS_TEST_TMPDIR/b.zip"
}

@test "the package holds the handler and Linux wheels for arm64, and no caches or tests" {
  package arm64 p
  run zip_names "$BATS_TEST_TMPDIR/p.zip"
  [ "$status" -eq 0 ]
  for module in lambda_function.py config.py image_processor.py storage.py notifications.py; do
    grep -qx "$module" <<<"$output"
  done
  grep -q '^PIL/_imaging\.cpython-313-aarch64-linux-gnu\.so$' <<<"$output"
  run ! grep -qE '__pycache__|\.pyc$|(^|/)tests?/' <<<"$output"
}

@test "x86_64 builds get x86_64 wheels" {
  package x86_64 x
  zip_names "$BATS_TEST_TMPDIR/x.zip" | grep -q '^PIL/_imaging\.cpython-313-x86_64-linux-gnu\.so$'
}

@test "the script's defaults agree with the Terraform variables" {
  arch=$(sed -n '/variable "lambda_architecture"/,/^}/p' "$REPO_ROOT/terraform/modules/image-pipeline/variables.tf" | sed -n 's/.*default *= *"\(.*\)"/\1/p')
  runtime=$(sed -n '/variable "lambda_runtime"/,/^}/p' "$REPO_ROOT/terraform/modules/image-pipeline/variables.tf" | sed -n 's/.*default *= *"\(.*\)"/\1/p')
  grep -q "ARCH=\${LAMBDA_ARCHITECTURE:-$arch}" "$REPO_ROOT/scripts/build_lambda.sh"
  grep -q "RUNTIME=\${LAMBDA_RUNTIME:-$runtime}" "$REPO_ROOT/scripts/build_lambda.sh"
}

@test "the arm64 package carries the AVIF codec (libavif) and the HEIC decoder (pillow-heif)" {
  package arm64 p
  run zip_names "$BATS_TEST_TMPDIR/p.zip"
  [ "$status" -eq 0 ]
  grep -q '^PIL/_avif\.cpython-313-aarch64-linux-gnu\.so$' <<<"$output"
  grep -qE '^pillow\.libs/libavif-[0-9a-f]+\.so' <<<"$output"
  grep -q '^_pillow_heif\.cpython-313-aarch64-linux-gnu\.so$' <<<"$output"
  grep -qE '^pillow_heif\.libs/libheif-[0-9a-f]+\.so\.1\.23\.6$' <<<"$output"
}

@test "the package's own Pillow writes AVIF and its pillow-heif reads HEIC (x86_64 build, run here)" {
  [[ $(uname -m) == x86_64 ]] || skip "runs the x86_64 package's binaries: this machine is $(uname -m)"
  package x86_64 x
  mkdir "$BATS_TEST_TMPDIR/x"
  (cd "$BATS_TEST_TMPDIR/x" && "$REPO_ROOT/.venv/bin/python" -m zipfile -e ../x.zip .)
  # -S: no site-packages, so only the package's own Pillow and pillow-heif can be imported.
  run "$REPO_ROOT/.venv/bin/python" -S -c '
import io, sys
sys.path.insert(0, sys.argv[1])
import PIL, pillow_heif
from PIL import Image, features
assert PIL.__file__.startswith(sys.argv[1]) and pillow_heif.__file__.startswith(sys.argv[1])
assert features.check("avif"), "no AVIF codec"
buffer = io.BytesIO()
Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "AVIF", quality=60, speed=8)
assert Image.open(io.BytesIO(buffer.getvalue())).format == "AVIF"
heic = io.BytesIO()
pillow_heif.from_pillow(Image.new("RGB", (64, 48), (200, 30, 30))).save(heic, quality=60)
pillow_heif.register_heif_opener()
decoded = Image.open(io.BytesIO(heic.getvalue()))
decoded.load()
assert (decoded.format, decoded.size) == ("HEIF", (64, 48))
print("avif", features.version("avif"), "libheif", pillow_heif.libheif_version())
' "$BATS_TEST_TMPDIR/x"
  [ "$status" -eq 0 ]
  [[ $output == avif\ * ]]
}

@test "every requirement is pinned by sha256, and the build installs with --require-hashes" {
  # Each requirement line is followed by its hashes (make lock-lambda).
  run grep -cE '^[a-z0-9_.-]+==' "$REPO_ROOT/lambda/requirements.txt"
  [ "$output" -ge 1 ]
  run grep -cE '^    --hash=sha256:[0-9a-f]{64}' "$REPO_ROOT/lambda/requirements.txt"
  [ "$output" -ge 1 ]
  grep -q -- '--require-hashes' "$REPO_ROOT/scripts/build_lambda.sh"
}

@test "a wheel that does not match its locked sha256 is refused" {
  repo=$(copy_repo)
  sed -i 's/--hash=sha256:[0-9a-f]\{8\}/--hash=sha256:00000000/' "$repo/lambda/requirements.txt"
  run "$repo/scripts/build_lambda.sh" --output "$BATS_TEST_TMPDIR/bad.zip"
  [ "$status" -ne 0 ]
  [[ $output == *"make lock-lambda"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/bad.zip" ]
}

@test "the build writes a manifest that the zip verifies against, and a changed zip does not" {
  package arm64 m
  [ -s "$BATS_TEST_TMPDIR/m.manifest.json" ]
  run "$REPO_ROOT/.venv/bin/python" "$REPO_ROOT/scripts/lib/package_manifest.py" verify --zip "$BATS_TEST_TMPDIR/m.zip"
  [ "$status" -eq 0 ]
  printf 'print("injected")\n' >"$BATS_TEST_TMPDIR/injected.py"
  (cd "$BATS_TEST_TMPDIR" && "$REPO_ROOT/.venv/bin/python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "a").write("injected.py")' m.zip)
  run "$REPO_ROOT/.venv/bin/python" "$REPO_ROOT/scripts/lib/package_manifest.py" verify --zip "$BATS_TEST_TMPDIR/m.zip"
  [ "$status" -eq 1 ]
  [[ $output == *"injected.py: in the zip, not in the manifest"* ]]
}

@test "an up-to-date package is kept as it is; a changed source builds again, and so does --rebuild" {
  repo=$(copy_repo)
  mkdir -p "$repo/dist"
  cp "$BATS_FILE_TMPDIR/arm64.zip" "$repo/dist/lambda.zip"
  cp "$BATS_FILE_TMPDIR/arm64.manifest.json" "$repo/dist/lambda.manifest.json"

  run "$repo/scripts/build_lambda.sh"
  [ "$status" -eq 0 ]
  [[ $output == *"dist/lambda.zip is up to date"* ]] || { echo "$output"; return 1; }
  [[ $output != *"Installing"* ]] || { echo "$output"; return 1; }
  cmp "$BATS_FILE_TMPDIR/arm64.zip" "$repo/dist/lambda.zip"

  run "$repo/scripts/build_lambda.sh" --rebuild
  [ "$status" -eq 0 ]
  [[ $output == *"Installing"* ]] || { echo "$output"; return 1; }
  cmp "$BATS_FILE_TMPDIR/arm64.zip" "$repo/dist/lambda.zip"

  printf '# changed\n' >>"$repo/lambda/config.py"
  run "$repo/scripts/build_lambda.sh"
  [ "$status" -eq 0 ]
  [[ $output == *"Installing"* ]] || { echo "$output"; return 1; }
  "$PY" -c 'import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).read("config.py").endswith(b"# changed\n")' "$repo/dist/lambda.zip"
}

@test "package_manifest.py current: another platform, or a zip changed after its build, is not up to date" {
  package arm64 c
  current=("$PY" "$REPO_ROOT/scripts/lib/package_manifest.py" current --zip "$BATS_TEST_TMPDIR/c.zip"
    --sources "$REPO_ROOT/lambda" --requirements "$REPO_ROOT/lambda/requirements.txt")
  run "${current[@]}" --platform python3.13/arm64
  [ "$status" -eq 0 ]
  run "${current[@]}" --platform python3.13/x86_64
  [ "$status" -eq 1 ]
  [[ $output == *"platform: built for python3.13/arm64, python3.13/x86_64 asked"* ]]
  printf 'print("injected")\n' >"$BATS_TEST_TMPDIR/injected.py"
  (cd "$BATS_TEST_TMPDIR" && "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "a").write("injected.py")' c.zip)
  run "${current[@]}" --platform python3.13/arm64
  [ "$status" -eq 1 ]
  [[ $output == *"injected.py: in the zip, not in the manifest"* ]]
}
