#!/usr/bin/env bash
# all.sh DIR [--soft-checkov]
# Runs every validator on DIR and prints a table (validator, status, time, summary line).
# The output of each validator that did not pass is printed above the table (without its
# "ok" lines). checkov, the slowest, runs in the background while the others run;
# --soft-checkov reports its findings without failing.
# Status: PASS (exit 0), FAIL (exit 1: findings), SETUP (exit 2: tool missing / bad usage).
# Last line: "N validators, N failed"; exit 0 only if every validator passed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
dir="$1"; shift
soft=()
for a in "$@"; do
  case "$a" in
    --soft-checkov) soft=(--soft) ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
V="$VALIDATE_DIR"
names=(yaml.sh hcl.sh fmt.sh tf-schema.sh k8s.sh compose.sh ci.sh checkov.sh)

now() { date +%s.%N; }
run_one() {  # name, command...
  local name="$1"; shift
  local t0; t0=$(now)
  "$@" > "$logs/$name.out" 2>&1
  echo $? > "$logs/$name.rc"
  echo "$t0 $(now)" | awk '{printf "%.1f", $2-$1}' > "$logs/$name.time"
}

t_all=$(now)
run_one checkov.sh "$V/checkov.sh" "$dir" ${soft[@]+"${soft[@]}"} &
cpid=$!
run_one yaml.sh      "$V/yaml.sh" "$dir"
run_one hcl.sh       "$V/hcl.sh" "$dir"
run_one fmt.sh       "$V/fmt.sh" "$dir"
run_one tf-schema.sh "$V/tf-schema.sh" "$dir"
run_one k8s.sh       "$V/k8s.sh" "$dir"
run_one compose.sh   "$V/compose.sh" "$dir"
run_one ci.sh        "$V/ci.sh" "$dir"
wait "$cpid"
total=$(echo "$t_all $(now)" | awk '{printf "%.1f", $2-$1}')

failed=0
for n in "${names[@]}"; do
  if [ "$(cat "$logs/$n.rc")" != 0 ]; then
    echo "===== $n $dir"
    grep -v -E '^(ok |skip )' "$logs/$n.out" | sed '$d'
    echo
  fi
done
printf '%-13s %-6s %7s  %s\n' validator status time summary
for n in "${names[@]}"; do
  rc="$(cat "$logs/$n.rc")"
  case "$rc" in 0) st=PASS ;; 1) st=FAIL ;; *) st=SETUP ;; esac
  [ "$rc" != 0 ] && failed=$((failed+1))
  printf '%-13s %-6s %6ss  %s\n' "$n" "$st" "$(cat "$logs/$n.time")" "$(tail -n 1 "$logs/$n.out")"
done
echo "${#names[@]} validators, $failed failed (${total}s)"
[ "$failed" -eq 0 ]
