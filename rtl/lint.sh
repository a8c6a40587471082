#!/bin/sh
# Lint the HSX RTL with Verilator -Wall (the production RTL: mutants live in
# rtl/mutants/, applied by the mutation engine to a copy; docs/mutation.md), and with the
# monitor model's checkers.
# Run from the repository root: rtl/lint.sh
set -eu
cd "$(dirname "$0")/.."
echo "verilator --lint-only -Wall"
verilator --lint-only -Wall -f rtl/hsx.f --top-module hsx_top rtl/lint_waivers.vlt
# The monitor model (sim/build/main.rs `Vhsx_mon`): the RTL with the checkers of rtl/monitors/.
echo "verilator --lint-only -Wall -f rtl/monitors/monitors.f"
verilator --lint-only -Wall -f rtl/hsx.f -f rtl/monitors/monitors.f --top-module hsx_top rtl/lint_waivers.vlt
echo "lint clean"
