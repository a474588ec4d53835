#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit/integration/snapshot tests, and the external
# validators of tools/validate/ (python-hcl2, the AWS provider schema, terraform fmt,
# kubernetes-validate, kubectl kustomize, the compose spec and docker compose, yamllint,
# actionlint, the GitHub workflow schema, Atlantis repo-config keys, the Argo CD CRD schema,
# checkov), first on their own good and bad samples, then on a build of every environment of
# every fixture, in each Kubernetes layout and in the Terraform module layout. Installs what
# it needs: the Rust components, and the validators from PyPI and npm into a cache outside the
# repository (VALIDATE_CACHE_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/tierform-validate).
# Ends with the line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VALIDATE=$ROOT/tools/validate
export VALIDATE_CACHE_DIR=${VALIDATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tierform-validate}
# The kubectl the validators install, also for the kustomize round trip of crates/emit-k8s.
export KUBECTL=${KUBECTL:-$VALIDATE_CACHE_DIR/bin/kubectl}
export CARGO_TERM_COLOR=never NO_COLOR=1 CI=${CI:-true}
# Versions are judged against AWS's end-of-support dates as of a day: the suite pins the day its
# fixtures were last reviewed, so a green run stays green; `tierform check` without it uses the
# clock, and a fixture past its date is then refused, as a user's spec would be.
export TIERFORM_TODAY=${TIERFORM_TODAY:-2026-12-01}

passed=0 failed=0 failures=()
step() { # name command...
  local name=$1; shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "--- ok: $name ($((SECONDS - t0))s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "--- FAILED: $name ($((SECONDS - t0))s)"
  fi
}

rust_components() { # rustfmt and clippy, where the toolchain came without them
  local missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  [ ${#missing[@]} -eq 0 ] || rustup component add "${missing[@]}"
}
step "rust components installed" rust_components
step "validators installed" "$VALIDATE/setup.sh"
step "validators pass good and fail bad samples" "$VALIDATE/selftest.sh"
step "cargo fmt" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test" cargo test --workspace --locked
step "cargo doc" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked -q
# The fuzz target (fuzz/, its own workspace) must keep compiling; running it is not CI's job.
step "fuzz target compiles" cargo check --manifest-path fuzz/Cargo.toml --locked -q

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
build_all() {
  cargo build --release --locked -q -p tierform || return 1
  local bin=$TARGET/release/tierform ok=0
  for spec in fixtures/*.hcl; do
    local name; name=$(basename "$spec" .hcl)
    # --delivery: the workflows, atlantis.yaml and ApplicationSets of the fixtures that declare
    # a delivery, validated by ci.sh with the rest.
    "$bin" build "$spec" --out "$OUT/overlays/$name" --delivery || ok=1
    "$bin" build "$spec" --out "$OUT/flat/$name" --k8s-layout flat || ok=1
    "$bin" build "$spec" --out "$OUT/module/$name" --tf-layout module || ok=1
    "$bin" check "$spec" > "$OUT/check-$name.txt" || { cat "$OUT/check-$name.txt"; ok=1; }
  done
  return $ok
}
step "tierform build + check of every fixture" build_all
step "external validators on every environment (checkov advisory)" "$VALIDATE/all.sh" "$OUT/overlays" --soft-checkov
step "kubernetes-validate on the flat layout" "$VALIDATE/k8s.sh" "$OUT/flat"
step "external validators on the Terraform module layout (checkov advisory)" "$VALIDATE/all.sh" "$OUT/module" --soft-checkov

# checkov, hard, on what production runs: the Terraform and the fully rendered Kubernetes of
# every production environment (tiers `production` / `prod`, and their per-tenant instances
# `production-<tenant>`) of every fixture. Target: zero failed checks; a check that does not
# apply is skipped inline by the generator, with its reason (docs/SECURITY.md lists them).
checkov_production() {
  cargo build --release --locked -q -p tierform || return 1
  local bin=$TARGET/release/tierform ok=0
  for spec in fixtures/*.hcl; do
    local name; name=$(basename "$spec" .hcl)
    "$bin" build "$spec" --out "$OUT/prod-build/$name" --k8s-layout flat || ok=1
    for kind in terraform k8s; do
      for dir in "$OUT/prod-build/$name/$kind"/*/; do
        local env; env=$(basename "$dir")
        [[ $env =~ ^(production|prod)(-.+)?$ ]] || continue
        mkdir -p "$OUT/production/$name/$kind"
        cp -R "$dir" "$OUT/production/$name/$kind/$env"
      done
    done
  done
  [ -d "$OUT/production" ] || { echo "no production environment in any fixture"; return 1; }
  "$VALIDATE/checkov.sh" "$OUT/production" || ok=1
  return $ok
}
step "checkov on every production environment (hard)" checkov_production

echo
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
