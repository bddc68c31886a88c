#!/usr/bin/env bats
# destroy.sh asks before it deletes; the local AWS starts and stops cleanly.

load helpers

# A state file that says one bucket is deployed, with the outputs destroy reads.
fake_state() {
  cat >"$1" <<'JSON'
{
  "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bats",
  "outputs": {
    "environment": {"value": "local", "type": "string"},
    "s3_bucket_name": {"value": "image-processor-local-images-123456789012", "type": "string"},
    "logs_bucket_name": {"value": "image-processor-local-logs-123456789012", "type": "string"},
    "kms_deletion_window_days": {"value": 7, "type": "number"}
  },
  "resources": [
    {"mode": "managed", "type": "aws_s3_bucket", "name": "this",
     "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "image-processor-local-images-123456789012", "bucket": "image-processor-local-images-123456789012"}}]}
  ]
}
JSON
}

@test "destroy refuses without confirmation when stdin is not a terminal" {
  repo=$(copy_repo)
  mkdir -p "$repo/.local-aws"
  fake_state "$repo/.local-aws/terraform.tfstate"
  before=$(sha256sum "$repo/.local-aws/terraform.tfstate")

  run "$repo/scripts/destroy.sh" --local </dev/null

  [ "$status" -eq 1 ]
  [[ $output == *"refusing to destroy without confirmation"* ]]
  [ "$(sha256sum "$repo/.local-aws/terraform.tfstate")" = "$before" ]
}

@test "destroy with nothing deployed says so and succeeds (safe to run twice)" {
  repo=$(copy_repo)

  run "$repo/scripts/destroy.sh" --local --yes

  [ "$status" -eq 0 ]
  [[ $output == *"Nothing to destroy"* ]]
}

@test "the local AWS starts once, answers, and stops exactly its own process" {
  repo=$(copy_repo)
  port=$(free_port)

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" start
  [ "$status" -eq 0 ]
  pid=$(cat "$repo/.local-aws/moto.pid")
  curl -sf "http://127.0.0.1:$port/moto-api/data.json" >/dev/null

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" start
  [[ $output == *"already running (pid $pid)"* ]]

  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" stop
  [ "$status" -eq 0 ]
  ! kill -0 "$pid" 2>/dev/null
  [ ! -e "$repo/.local-aws/moto.pid" ]
  run env LOCAL_AWS_PORT="$port" "$repo/scripts/local_aws.sh" status
  [ "$status" -eq 1 ]
}
