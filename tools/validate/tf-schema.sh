#!/usr/bin/env bash
# tf-schema.sh DIR [--schema FILE] [--no-required]: the resource, data and provider blocks of
# every *.tf under DIR against the AWS provider schema extract (schemas/aws-provider-resources.json):
# types, argument and block names (recursively), arguments vs blocks, required ones, at most one
# of a single block, duplicate addresses. Values, types and references are not checked.
# Last line: "N files, N errors (...)"; exit 0 clean, 1 errors, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
need_venv
exec "$PY" "$VALIDATE_DIR/lib/tf_schema.py" --schema "$SCHEMA" "$@"
