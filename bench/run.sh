#!/usr/bin/env bash
# The tierform benchmark, in one command: tierform against the peers (cdktf, cdk8s, Helm's engine,
# kustomize) and the floor (writing the same files and bytes), on tmpfs and on disk.
#
#   bench/run.sh PEERS_SRC       everything (about 30 minutes on 2 cores: the peers, and N = 1000 on disk)
#   RUNS=3 OURS_N="10 100" PEERS_N=10 bench/run.sh PEERS_SRC     smaller
#   PEERS="" bench/run.sh PEERS_SRC      tierform and the floor only (no npm / PyPI needed)
#   bench/run.sh                 any of these again, with the peers already copied to PEERS_DIR
#
# PEERS_SRC (the argument, or the variable) is the peers' folder: their generators, floor/ and
# setup.sh. It is not part of this repository; it is only read once, to copy it to PEERS_DIR
# (default ~/.cache/tierform-bench/peers), a writable place, as their setup.sh writes into its
# own folder.
#
# Steps: builds tierform in release; writes the webstack specs for N tenants
# (bench/gen-webstack.py); copies the peers to PEERS_DIR if they are not there yet and runs their
# setup.sh (idempotent; npm + PyPI, about 810 MB, once); compiles the read-tree yardstick; then
# times everything with bench/bench.py (settings: see there) and prints the table (also saved
# under $BENCH_HOME/results/). Timing is not part of the test suite.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH_HOME="${BENCH_HOME:-$HOME/.cache/tierform-bench}"
PEERS_SRC="${1:-${PEERS_SRC:-}}"
PEERS_DIR="${PEERS_DIR:-$BENCH_HOME/peers}"
mkdir -p "$BENCH_HOME/specs" "$BENCH_HOME/bin"
say() { printf 'bench: %s\n' "$*" >&2; }
if [ ! -x "$PEERS_DIR/setup.sh" ] && { [ -z "$PEERS_SRC" ] || [ ! -d "$PEERS_SRC" ]; }; then
  say "usage: bench/run.sh PEERS_SRC (the peers' folder; nothing in $PEERS_DIR yet)"
  exit 2
fi

say "building tierform (release)"
(cd "$REPO" && cargo build --release -p tierform --quiet)
TARGET_DIR="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
TIERFORM="$TARGET_DIR/release/tierform"

say "writing the webstack specs"
for n in $(printf '%s\n' ${OURS_N:-10 100 1000} ${PEERS_N:-10 100} | sort -nu); do
  "$HERE/gen-webstack.py" "$n" "$BENCH_HOME/specs/webstack-$n.hcl"
done

if [ ! -x "$PEERS_DIR/setup.sh" ]; then
  say "copying the peers from $PEERS_SRC to $PEERS_DIR (their setup writes into its own folder)"
  rm -rf "$PEERS_DIR" && mkdir -p "$(dirname "$PEERS_DIR")"
  cp -r "$PEERS_SRC" "$PEERS_DIR" && chmod -R u+w "$PEERS_DIR"
fi
if [ -n "${PEERS-x}" ]; then
  say "installing the peers (skipped steps are already done)"
  "$PEERS_DIR/setup.sh" >&2
else
  # tierform and the floor only: still needs the floor program
  mkdir -p "$PEERS_DIR/.cache/bin"
  [ -x "$PEERS_DIR/.cache/bin/floor-write" ] \
    || rustc -O --edition 2021 "$PEERS_DIR/floor/floor.rs" -o "$PEERS_DIR/.cache/bin/floor-write"
fi
rustc -O --edition 2021 "$HERE/read-tree.rs" -o "$BENCH_HOME/bin/read-tree"

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "kernel $(uname -r); tmpfs ${TMPFS_ROOT:-/dev/shm/tierform-bench}; disk: $(df -T "$BENCH_HOME" | awk 'NR==2{print $2" "$1}')"
  echo "$(rustc --version); tierform $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)"
  "$PEERS_DIR/versions.sh" 2>/dev/null | grep -v '^rustc\|^kernel' || true
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$BENCH_HOME/machine.txt" >&2

python3 "$HERE/bench.py" --tierform "$TIERFORM" --specs "$BENCH_HOME/specs" --peers "$PEERS_DIR" \
  --tools "$BENCH_HOME/bin" --home "$BENCH_HOME"
