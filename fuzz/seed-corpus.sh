#!/usr/bin/env bash
# Seeds corpus/spec/ from the fixtures and the invalid-input corpus (files under 64 KiB, the
# fuzz target's input limit). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/spec
for f in ../fixtures/*.hcl ../fixtures/invalid/*; do
  [ -f "$f" ] || continue
  case "$f" in *.expect) continue ;; esac
  [ "$(stat -c %s "$f")" -le 65536 ] || continue
  cp "$f" "corpus/spec/$(basename "$f")"
done
echo "$(ls corpus/spec | wc -l) seeds in fuzz/corpus/spec"
