#!/usr/bin/env bash
# yaml.sh DIR: yamllint (rules: yamllint.yaml) on every *.yaml / *.yml under DIR.
# Errors: YAML syntax, duplicate keys (which kubectl, kubernetes-validate and checkov all
# silently resolve to the last value), anchors. Layout and style are warnings only.
# Last line: "N files, N errors[, N warnings]"; exit 0 clean, 1 errors, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
need_venv
mapfile -d '' files < <(find "$1" \( -name .git -o -name .terraform -o -name node_modules \) -prune \
  -o -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
echo "yamllint $("$VENV/bin/yamllint" --version | awk '{print $2}'), rules tools/validate/yamllint.yaml"
if [ "${#files[@]}" -eq 0 ]; then echo "0 files, 0 errors"; exit 0; fi
out="$("$VENV/bin/yamllint" -c "$VALIDATE_DIR/yamllint.yaml" -f parsable "${files[@]}")"
[ -n "$out" ] && printf '%s\n' "$out"
errors=$(grep -c ': \[error\] ' <<< "$out")
warnings=$(grep -c ': \[warning\] ' <<< "$out")
summary="${#files[@]} files, $errors errors"
[ "$warnings" -gt 0 ] && summary="$summary, $warnings warnings"
echo "$summary"
[ "$errors" -eq 0 ]
