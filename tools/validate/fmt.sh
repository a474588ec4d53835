#!/usr/bin/env bash
# fmt.sh DIR: every *.tf under DIR is already in canonical `terraform fmt` layout, checked with
# HashiCorp's own formatter compiled to wasm (npm @cdktf/hcl-tools); no terraform binary needed.
# Last line: "N files, N errors"; exit 0 clean, 1 differences, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
[ -d "$NPM_DIR/node_modules/@cdktf/hcl-tools" ] || die_setup "@cdktf/hcl-tools not installed in $NPM_DIR"
NPM_DIR="$NPM_DIR" exec node "$VALIDATE_DIR/lib/tf_fmt.js" "$1"
