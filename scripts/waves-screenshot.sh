#!/usr/bin/env bash
# Make docs/waves.png: GTKWave on a real divergence (mutant add-v), headless.
# Needs gtkwave and Xvfb (Debian: apt-get install gtkwave xvfb).
# Usage: scripts/waves-screenshot.sh          (builds target/release/hsx)
#        HSX=target/debug/hsx scripts/waves-screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
hsx=${HSX:-}
if [ -z "$hsx" ]; then
  cargo build --release --quiet --bin hsx
  hsx=target/release/hsx
fi
work=$(mktemp -d)
xpid=""; gpid=""
cleanup() {
  [ -n "$gpid" ] && kill "$gpid" 2>/dev/null || true
  [ -n "$xpid" ] && kill "$xpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$hsx" cosim --check-timing --max-steps 10000 --mutant add-v --traces "$work/traces" \
  tests/programs/mutants/add-v.mvasm@main >/dev/null || [ $? -eq 1 ]
folder=$(ls -d "$work"/traces/*/)
# A free display number.
n=90; while [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
mkdir -p "$work/fb"
Xvfb ":$n" -screen 0 1400x900x24 -fbdir "$work/fb" -nolisten tcp >/dev/null 2>&1 & xpid=$!
sleep 1
(cd "$folder" && DISPLAY=":$n" exec gtkwave waves.gtkw >/dev/null 2>&1) & gpid=$!
sleep 5   # GTKWave loads the dump and runs the filters
python3 scripts/xwd2png.py "$work/fb/Xvfb_screen0" docs/waves.png 1400 835
echo "wrote docs/waves.png"
