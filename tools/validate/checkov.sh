#!/usr/bin/env bash
# checkov.sh DIR [--soft] [--skip-check CKV_X,CKV_Y] [--framework terraform,kubernetes,dockerfile,kustomize]
# checkov's security and policy checks on DIR, offline; every failed check is printed as
# FAIL <check id> <resource> <file:lines> <check name>. Kustomize folders are checked through
# their rendered output. --soft: report, but exit 0.
# Last line: "N files, N errors (...)"; exit 0 clean (or --soft), 1 failed checks or parse
# errors, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
[ -x "$VENV_CHECKOV/bin/checkov" ] || die_setup "checkov not found in $VENV_CHECKOV"
exec "$VENV_CHECKOV/bin/python" "$VALIDATE_DIR/lib/checkov_run.py" "$VENV_CHECKOV/bin/checkov" "$@"
