#!/usr/bin/env bash
# k8s.sh DIR [-k 1.30] [--allow-missing-schema]: every Kubernetes object under DIR validated in
# strict mode by kubernetes-validate (unknown fields are errors); a kustomize folder is rendered
# with `kubectl kustomize` and its output validated instead of its files.
# kubectl: $KUBECTL, else the pinned one in the cache. Kubernetes version: -k or $K8S_VERSION (1.30).
# Last line: "N files, N errors"; exit 0 clean, 1 errors, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
need_venv
KUBECTL="${KUBECTL:-$CACHE_BIN/kubectl}"
[ -x "$KUBECTL" ] || die_setup "kubectl not found at $KUBECTL"
exec "$PY" "$VALIDATE_DIR/lib/k8s_validate.py" --kubectl "$KUBECTL" "$@"
