# Shared by the validator scripts. Source it; do not run it.
# Paths are found relative to this file; the installed tools live in a cache outside the
# repository: VALIDATE_CACHE_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/tierform-validate.

VALIDATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${VALIDATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tierform-validate}"
VENV="$CACHE_DIR/venv"                 # python-hcl2, kubernetes-validate, yamllint, check-jsonschema
VENV_CHECKOV="$CACHE_DIR/venv-checkov" # checkov (its bc-python-hcl2 is also imported as `hcl2`)
CACHE_BIN="$CACHE_DIR/bin"             # kubectl, docker-compose
NPM_DIR="$CACHE_DIR/npm"               # @cdktf/hcl-tools (terraform fmt), the kubectl layer
PY="$VENV/bin/python"
SCHEMA="$VALIDATE_DIR/schemas/aws-provider-resources.json"

# The pinned binaries first on PATH: checkov's kustomize runner looks kubectl up there.
export PATH="$CACHE_BIN:$PATH"

# Usage and setup problems exit 2 and still print the usual last line.
die_setup() {
  echo "error: $1 - run $VALIDATE_DIR/setup.sh first" >&2
  echo "0 files, 1 errors"
  exit 2
}

need_venv() {
  [ -x "$PY" ] || die_setup "no Python venv at $VENV"
}

need_dir() {
  if [ -z "${1:-}" ] || [ ! -d "$1" ]; then
    echo "usage: $(basename "$0") DIR" >&2
    echo "0 files, 1 errors"
    exit 2
  fi
}
