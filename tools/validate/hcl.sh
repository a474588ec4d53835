#!/usr/bin/env bash
# hcl.sh DIR: every *.tf under DIR parses with python-hcl2, and no block sets an argument twice
# (Terraform's "Attribute redefined", which python-hcl2 accepts silently).
# Last line: "N files, N errors"; exit 0 clean, 1 errors, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
need_venv
exec "$PY" "$VALIDATE_DIR/lib/hcl_parse.py" "$1"
