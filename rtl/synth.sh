#!/bin/sh
# Synthesize hsx_top with Yosys (generic cells) and check it: no latches, no logic loops
# or undriven nets (check -assert), both RAMs kept as inferred memories. Prints the cell
# count. Exits non-zero on any failure. Run from anywhere: rtl/synth.sh
set -eu
cd "$(dirname "$0")/.."
log=${TMPDIR:-/tmp}/hsx_synth.$$.log
trap 'rm -f "$log"' EXIT
if ! yosys -q -l "$log" -s rtl/synth.ys >/dev/null 2>&1; then
  grep -E "ERROR|Error|error" "$log" | head -20 >&2 || tail -20 "$log" >&2
  echo "synthesis FAILED (log above)" >&2
  exit 1
fi
# The design-hierarchy summary of `stat`: instances and the totals over the hierarchy.
sed -n '/=== design hierarchy ===/,/Executing CHECK pass/p' "$log" | grep -v 'Executing CHECK' | grep -v '^ *$' | head -60
echo "synthesis OK (no latches, check -assert clean, RAMs kept as memories)"
