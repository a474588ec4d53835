#!/usr/bin/env bash
# extract-aws-schema.sh: regenerates schemas/aws-provider-resources.json, the AWS provider schema
# that tf-schema.sh checks against. Installs npm @cdktf/provider-aws (npm-schema/package-lock.json;
# HashiCorp's cdktf bindings, generated from `terraform providers schema -json` of the AWS
# provider) into the cache and reads every resource, data source and the provider block out of
# it (lib/extract_aws_schema.py). Refuses to write when its self-check fails (a type tierform
# emits is missing). Review the result with `git diff --stat`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_venv
src="$CACHE_DIR/npm-schema"
want="$(cat "$VALIDATE_DIR/npm-schema/package.json" "$VALIDATE_DIR/npm-schema/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ ! -d "$src/node_modules/@cdktf/provider-aws" ] || [ "$(cat "$src/.setup-stamp" 2>/dev/null)" != "$want" ]; then
  echo "== npm: installing npm-schema/package-lock.json (@cdktf/provider-aws)"
  rm -rf "$src"; mkdir -p "$src"
  cp "$VALIDATE_DIR/npm-schema/package.json" "$VALIDATE_DIR/npm-schema/package-lock.json" "$VALIDATE_DIR/npm-schema/.npmrc" "$src/"
  (cd "$src" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" > "$src/.setup-stamp"
fi
echo "== extracting the AWS provider schema"
"$PY" "$VALIDATE_DIR/lib/extract_aws_schema.py" "$src/node_modules/@cdktf/provider-aws" "$SCHEMA"
