#!/usr/bin/env bash
# ci.sh DIR: the delivery files under DIR (tierform build --delivery).
#   .github/workflows/*.yml  actionlint (expressions, job graph, action inputs, shell) and the
#                            GitHub workflow JSON Schema (check-jsonschema, vendor.github-workflows)
#   atlantis.yaml            every key against Atlantis' documented repo-level config keys (an
#                            unknown or misspelt key is an error), version 3, apply requirements,
#                            and every project's dir present in DIR
#   argocd/*.yaml            every ApplicationSet against the Argo CD CRD's schema
#                            (npm @kubernetes-models/argo-cd)
# Last line: "N files, N errors"; exit 0 clean (also when there is no delivery file), 1 errors,
# 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
need_venv
dir="$1"
[ -x "$VENV/bin/actionlint" ] || die_setup "actionlint not found in $VENV"
[ -d "$NPM_DIR/node_modules/@kubernetes-models/argo-cd" ] || die_setup "@kubernetes-models/argo-cd not found in $NPM_DIR"
files=0 errors=0
report() { # file rc output
  files=$((files + 1))
  if [ "$2" -eq 0 ]; then echo "ok    $1"
  else errors=$((errors + 1)); printf '%s\n' "$3" | sed "s|^|ERROR $1: |"; fi
}
mapfile -d '' workflows < <(find "$dir" -path '*/.github/workflows/*' -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 | sort -z)
for w in "${workflows[@]}"; do
  out="$("$VENV/bin/actionlint" -no-color -oneline "$w" 2>&1)"; rc=$?
  report "$w (actionlint)" "$rc" "$out"
  out="$("$VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$w" 2>&1)"; rc=$?
  report "$w (workflow schema)" "$rc" "$out"
done
mapfile -d '' atlantis < <(find "$dir" -name .git -prune -o -type f -name atlantis.yaml -print0 | sort -z)
for a in "${atlantis[@]}"; do
  out="$("$PY" "$VALIDATE_DIR/lib/atlantis_keys.py" "$a" 2>&1)"; rc=$?
  report "$a (atlantis repo config)" "$rc" "$out"
done
mapfile -d '' appsets < <(find "$dir" -path '*/argocd/*' -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
for s in "${appsets[@]}"; do
  out="$("$PY" -c 'import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' "$s" \
    | NODE_PATH="$NPM_DIR/node_modules" node "$VALIDATE_DIR/lib/argocd_validate.mjs" "$NPM_DIR/node_modules" 2>&1)"; rc=$?
  report "$s (Argo CD ApplicationSet)" "$rc" "$out"
done
echo "actionlint $("$VENV/bin/actionlint" -version | head -1 | awk '{print $NF}'), check-jsonschema vendor.github-workflows, Atlantis repo config keys, @kubernetes-models/argo-cd"
echo "$files files, $errors errors"
[ "$errors" -eq 0 ]
