#!/usr/bin/env bash
# Seeds for the `evaluate` fuzz target from the evaluator cases: each case's program and
# records joined at a NUL byte (the target's input format), written to fuzz/corpus/case-seeds
# (not committed). The other targets read tests/cases directly; see docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus/case-seeds
mkdir -p "$out"
for d in tests/cases/eval/*/; do
  n=$(basename "$d")
  { cat "$d/program.rules"; printf '\0'; cat "$d/records.jsonl"; } > "$out/$n.bin"
done
echo "wrote $(ls "$out" | wc -l) seeds to $out"
