#!/usr/bin/env bash
# Parity's reports from two tierform binaries, side by side: proves a change to `check` / `diff`
# (a speed-up, say) leaves every verdict and every report byte-identical.
#
#   bench/parity-compare.sh BEFORE_BIN AFTER_BIN [OUT_DIR]
#
# For every fixture (fixtures/*.hcl, fixtures/adversarial/*, fixtures/invalid/*) and the webstack
# bench spec at N = 1, 3 and 10 tenants (bench/gen-webstack.py), each binary runs
#   - `tierform check SPEC` (stdout, stderr and exit code), and
#   - `tierform diff SPEC X Y --format text|json|markdown` for every unordered pair of the
#     spec's environments (`envs --format json`), in both orders for specs of up to 12
#     environments; the bench specs get the pairs that involve their first tenant.
# Outputs land in OUT_DIR/{before,after}/ (default: a fresh temporary folder) and are compared
# with `diff -r`; the script prints a summary and exits 1 when anything differs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BEFORE="$(realpath "$1")"
AFTER="$(realpath "$2")"
OUT="${3:-$(mktemp -d)}"
export TIERFORM_TODAY="${TIERFORM_TODAY:-2026-12-01}"
mkdir -p "$OUT/specs"
for n in 1 3 10; do "$HERE/gen-webstack.py" "$n" "$OUT/specs/webstack-$n.hcl"; done

specs=()
for f in "$REPO"/fixtures/*.hcl "$REPO"/fixtures/adversarial/* "$REPO"/fixtures/invalid/* "$OUT"/specs/*.hcl; do
  case "$f" in *.expect) continue ;; esac
  specs+=("$f")
done

# The pairs `diff` is run on: every unordered pair (both orders when the spec is small), or for
# the bench specs the pairs involving the first tenant's environments.
pairs() {
  local bin="$1" spec="$2"
  "$bin" envs "$spec" --format json 2>/dev/null | python3 -c '
import itertools, json, sys
names = [e["name"] for e in json.load(sys.stdin)]
bench = "webstack-" in sys.argv[1]
if bench:
    first = [n for n in names if n.endswith("-t001")]
    out = [(a, b) for a in first for b in names if a != b]
elif len(names) <= 12:
    out = list(itertools.permutations(names, 2))
else:
    out = list(itertools.combinations(names, 2))
for a, b in out:
    print(a, b)
' "$spec" 2>/dev/null || true
}

run_all() {
  local bin="$1" dest="$2"
  mkdir -p "$dest"
  for spec in "${specs[@]}"; do
    local tag
    tag="$(basename "$(dirname "$spec")")-$(basename "$spec")"
    local d="$dest/$tag"
    mkdir -p "$d"
    # Paths in messages are the spec's; run from the spec's folder so both runs print the same.
    (cd "$(dirname "$spec")" && { "$bin" check "$(basename "$spec")" >"$d/check.out" 2>"$d/check.err"; echo $? >"$d/check.rc"; }) || true
    while read -r a b; do
      [ -n "$a" ] || continue
      for fmt in text json markdown; do
        (cd "$(dirname "$spec")" && { "$bin" diff "$(basename "$spec")" "$a" "$b" --format "$fmt" >"$d/diff-$a-$b.$fmt" 2>&1; echo $? >>"$d/diff-$a-$b.$fmt"; }) || true
      done
    done < <(pairs "$bin" "$spec")
  done
}

run_all "$BEFORE" "$OUT/before"
run_all "$AFTER" "$OUT/after"
files=$(find "$OUT/before" -type f | wc -l)
if diff -r "$OUT/before" "$OUT/after" >"$OUT/differences.txt"; then
  echo "parity-compare: ${#specs[@]} specs, $files output files: byte-identical ($OUT)"
else
  echo "parity-compare: outputs differ, see $OUT/differences.txt"
  head -40 "$OUT/differences.txt"
  exit 1
fi
