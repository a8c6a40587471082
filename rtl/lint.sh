#!/bin/sh
# Lint the HSX RTL with Verilator -Wall, without and with the mutant knob, and with the
# monitor model's checkers.
# Run from the repository root: rtl/lint.sh
set -eu
cd "$(dirname "$0")/.."
for defs in "" "+define+HSX_MUTANTS"; do
  echo "verilator --lint-only -Wall ${defs:-(no defines)}"
  verilator --lint-only -Wall -f rtl/hsx.f --top-module hsx_top rtl/lint_waivers.vlt $defs
done
# The monitor model (sim/build.rs `Vhsx_mon`): the RTL with the checkers of rtl/monitors/.
echo "verilator --lint-only -Wall -f rtl/monitors/monitors.f"
verilator --lint-only -Wall -f rtl/hsx.f -f rtl/monitors/monitors.f --top-module hsx_top rtl/lint_waivers.vlt
echo "lint clean"
