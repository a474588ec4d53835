#!/usr/bin/env bash
# bench/affected.sh [N] [RUNS] (CHANGE=tenant|structure): `tierform affected` against one `tierform build`, in the same
# run, on the webstack spec with N tenants (default 1000: 3,000 environments) and one tenant
# changed (the network of t500, a per-tenant knob: its three environments affected; not t001,
# whose production environment is the one the kustomize base is rendered from, so a change there
# touches every environment through the base). Prints the median
# wall time of each over RUNS runs (default 3) and their ratio; the issue's target is affected
# within 2x of build. CHANGE=structure changes a service's port in the base instead: every
# environment is affected and emitted twice, the worst case. Build writes into a fresh folder on tmpfs when /dev/shm exists. Timing is
# not part of the test suite.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
N="${1:-1000}" RUNS="${2:-3}"
(cd "$REPO" && cargo build --release -p tierform --quiet)
TARGET_DIR="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/release/tierform"
WORK="$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/tierform-affected.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$HERE/gen-webstack.py" "$N" "$WORK/base.hcl"
python3 - "$WORK/base.hcl" "$WORK/head.hcl" "${CHANGE:-tenant}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
if sys.argv[3] == "structure":
    open(sys.argv[2], "w").write(text.replace("port         = 8080", "port         = 8081", 1))
    sys.exit(0)
# t500's VPC moves to a free range (tenants use 10.1-10.250): its three environments change.
i = text.index('tenant "t500"')
j = text.index("}\n}\n", i)
block = text[i:j].replace("10.250.", "10.251.")
open(sys.argv[2], "w").write(text[:i] + block + text[j:])
PY
export TIERFORM_TODAY="${TIERFORM_TODAY:-2026-12-01}"
time_of() { # command... -> seconds
  local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.3f\n", $2-$1}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
builds=() affected=()
for r in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/out"
  builds+=("$(time_of "$BIN" build "$WORK/head.hcl" --out "$WORK/out")")
  affected+=("$(time_of "$BIN" affected "$WORK/head.hcl" --base-file "$WORK/base.hcl" --format json)")
done
"$BIN" affected "$WORK/head.hcl" --base-file "$WORK/base.hcl" | head -n 1
b=$(printf '%s\n' "${builds[@]}" | median)
a=$(printf '%s\n' "${affected[@]}" | median)
echo "N=$N ($((3 * N)) environments), median of $RUNS: build ${b}s, affected ${a}s, affected/build $(echo "$a $b" | awk '{printf "%.2f", $1/$2}')"
