#!/usr/bin/env bash
# compose.sh DIR: every docker-compose*.y[a]ml, compose.y[a]ml and compose.*.y[a]ml under DIR,
#  1. against the Compose Specification JSON schema that check-jsonschema ships
#     (--builtin-schema vendor.compose-spec: unknown or misspelled keys, wrong types), and
#  2. through Docker Compose v2's own loader, `docker-compose -f FILE config -q` (the pinned
#     binary in the cache): undefined services in depends_on, undefined volumes / networks /
#     secrets / configs, missing env_file files, bad interpolation syntax. It needs no Docker
#     daemon and no network. *.override.y[a]ml files are loaded with their folder's base file.
# Unset ${VARS} are warnings only.
# Last line: "N files, N errors[, N warnings]"; exit 0 clean, 1 errors, 2 setup/usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_dir "${1:-}"
need_venv
dir="$1"
compose="$CACHE_BIN/docker-compose"
[ -x "$compose" ] || die_setup "docker-compose not found at $compose"
echo "check-jsonschema $("$VENV/bin/check-jsonschema" --version | awk '{print $NF}') (vendor.compose-spec), $("$compose" version 2>/dev/null | head -1)"

mapfile -d '' files < <(find "$dir" \( -name .git -o -name .terraform -o -name node_modules \) -prune -o -type f \
  \( -name 'docker-compose*.yml' -o -name 'docker-compose*.yaml' -o -name 'compose.yml' -o -name 'compose.yaml' \
     -o -name 'compose.*.yml' -o -name 'compose.*.yaml' \) -print0 | sort -z)

errors=0; warnings=0
for f in "${files[@]}"; do
  ferr=0
  # 1. JSON schema
  if ! out="$("$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$f" 2>&1)"; then
    while IFS= read -r l; do
      case "$l" in
        *"Schema validation errors were encountered."*|"") ;;
        *) echo "ERROR $f: compose-spec schema: $(echo "$l" | sed -e 's/^ *//' -e "s|^$f::||")"; ferr=$((ferr+1)) ;;
      esac
    done <<< "$out"
    [ "$ferr" -eq 0 ] && { echo "ERROR $f: compose-spec schema: $out"; ferr=1; }
  fi
  # 2. the Compose loader
  fdir="$(dirname "$f")"; base=""
  case "$(basename "$f")" in
    *.override.yml|*.override.yaml)
      for b in docker-compose.yml docker-compose.yaml compose.yaml compose.yml; do
        [ -f "$fdir/$b" ] && { base="$fdir/$b"; break; }
      done ;;
  esac
  args=(); [ -n "$base" ] && args+=(-f "$base")
  args+=(-f "$f")
  out="$("$compose" "${args[@]}" config -q 2>&1)"; rc=$?
  while IFS= read -r l; do
    [ -z "$l" ] && continue
    l="${l//$PWD\//}"
    case "$l" in
      *level=warning*)
        msg="$(echo "$l" | sed -n 's/.*msg="\(.*\)"$/\1/p')"
        echo "WARN  $f: docker compose: ${msg:-$l}" | sed 's/\\"/"/g'; warnings=$((warnings+1)) ;;
      *)
        if [ "$rc" -ne 0 ]; then echo "ERROR $f: docker compose config: $l"; ferr=$((ferr+1)); fi ;;
    esac
  done <<< "$out"
  if [ "$rc" -ne 0 ] && ! grep -qv 'level=warning' <<< "$out"; then
    echo "ERROR $f: docker compose config exited $rc"; ferr=$((ferr+1))
  fi
  [ "$ferr" -eq 0 ] && echo "ok    $f${base:+ (with $base)}"
  errors=$((errors+ferr))
done
summary="${#files[@]} files, $errors errors"
[ "$warnings" -gt 0 ] && summary="$summary, $warnings warnings"
echo "$summary"
[ "$errors" -eq 0 ]
