#!/usr/bin/env bash
# Verilate rtl/hsx_fpu.sv with tb.cpp into a build directory, compile with -O2 and run.
# Usage: rtl/tb/fpu/run.sh [random_pairs_per_binary_op] [seed]
# Environment: FPU_TB_BUILD=<dir> to use (and keep) a fixed build directory; otherwise a
# temporary one is created and removed afterwards. Exits non-zero on any mismatch.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

if [[ -n "${FPU_TB_BUILD:-}" ]]; then
  build=$FPU_TB_BUILD
  mkdir -p "$build"
else
  build=$(mktemp -d "${TMPDIR:-/tmp}/hsx-fpu-tb.XXXXXX")
  trap 'rm -rf "$build"' EXIT
fi

verilator --cc --exe --build -j 2 \
  -Wall -O3 --x-assign fast --x-initial fast \
  --top-module hsx_fpu --Mdir "$build" -o Vtb \
  -CFLAGS "-O2 -std=c++17 -I$here" \
  -MAKEFLAGS "OPT_FAST=-O2 OPT_SLOW=-O2 OPT_GLOBAL=-O2" \
  "$here/tb.vlt" "$root/rtl/hsx_isa_pkg.sv" "$root/rtl/hsx_fpu.sv" "$here/tb.cpp" >"$build/build.log" 2>&1 || {
  cat "$build/build.log"
  echo "run.sh: build failed" >&2
  exit 2
}

"$build/Vtb" "$@"
