#!/usr/bin/env bats
# scripts/reprocess.sh: what it refuses before it talks to AWS. Its local
# path runs end to end in tests/integration/test_reprocess_local.py.

load helpers
bats_require_minimum_version 1.5.0

@test "an S3 Inventory manifest is for AWS only, and must be a manifest.json" {
  run --separate-stderr "$REPO_ROOT/scripts/reprocess.sh" --local --manifest s3://b/batch-operations/manifests/x/manifest.json
  [ "$status" -eq 2 ]
  [[ $stderr == *"--manifest is for S3 Batch Operations on AWS"* ]]

  run --separate-stderr "$REPO_ROOT/scripts/reprocess.sh" --manifest s3://b/inventory.csv
  [ "$status" -eq 2 ]
  [[ $stderr == *"manifest.json"* ]]
}

@test "a prefix that is not a key prefix is refused" {
  for prefix in /uploads/ uploads/../processed/; do
    run --separate-stderr "$REPO_ROOT/scripts/reprocess.sh" --prefix "$prefix"
    [ "$status" -eq 2 ] || { echo "$prefix: $status"; return 1; }
    [[ $stderr == *"--prefix must be a key prefix"* ]]
  done
}

@test "an option without its value is refused" {
  run --separate-stderr "$REPO_ROOT/scripts/reprocess.sh" --prefix
  [ "$status" -eq 2 ]
  [[ $stderr == *"--prefix needs a value"* ]]
}

@test "the help names the prefix the role is scoped to, as the Terraform does" {
  run "$REPO_ROOT/scripts/reprocess.sh" --help
  prefix=$(sed -n 's/^  batch_operations_prefix *= "\(.*\)"$/\1/p' "$REPO_ROOT/terraform/modules/image-pipeline/batch_operations.tf")
  [ -n "$prefix" ]
  [[ $output == *"s3://BUCKET/${prefix}manifests/"* ]]
  [[ $output == *"s3://BUCKET/${prefix}reports/"* ]]
}
