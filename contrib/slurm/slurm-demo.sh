#!/usr/bin/env bash
# A whole Slurm round trip on this one machine, as root:
#
#   1. installs Debian's slurmctld, slurmd, slurm-client and munge if they are missing;
#   2. starts munged (if it is not running), then a private single-node cluster —
#      slurmctld and slurmd with their own config, ports, state and logs in a temporary
#      folder, nothing under /etc/slurm touched;
#   3. submits contrib/slurm/regress.sbatch as a 4-task job array (`sbatch --array=0-3
#      --wait`), each task running `hsx regress --shard auto --results …`;
#   4. merges the four results with `hsx merge` and runs the same seeds in one process;
#   5. stops every daemon it started and exits 0 only if the merged summary (the `time:`
#      line aside) and JUnit equal the single-process run's.
#
# Usage: contrib/slurm/slurm-demo.sh            (SEEDS=400 by default; SHARDS=4)
#        KEEP=1 contrib/slurm/slurm-demo.sh     (keep the temporary folder for a look)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
SEEDS=${SEEDS:-400}
SHARDS=${SHARDS:-4}
say() { echo "slurm-demo: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm-demo: must run as root (it installs packages and starts munged, slurmctld and slurmd)" >&2
  exit 2
fi

need=()
for pair in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The hsx binary: $HSX, else the release build (built now if missing).
HSX=${HSX:-$repo/target/release/hsx}
case $HSX in /*) ;; *) HSX=$repo/$HSX ;; esac
if [ ! -x "$HSX" ]; then
  say "building hsx"
  cargo build --release --quiet --bin hsx
fi

work=$(mktemp -d /tmp/hsx-slurm-demo.XXXXXX)
chmod 755 "$work"
mkdir -p "$work"/{state,spool,log,results}
started_munge=0
cleanup() {
  local rc=$?
  for d in slurmd slurmctld; do
    if [ -f "$work/$d.pid" ]; then kill "$(cat "$work/$d.pid")" 2>/dev/null || true; fi
  done
  # the daemons write their pid files late; make sure none of ours outlives the script
  pkill -f "$work/slurm.conf" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f "$work/slurm.conf" >/dev/null || break; sleep 0.1; done
  pkill -9 -f "$work/slurm.conf" 2>/dev/null || true
  if [ "$started_munge" = 1 ]; then pkill -x munged 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "kept $work (logs in $work/log)"
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT

# munge: a key, a socket directory, a daemon.
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  /usr/sbin/munged --force 2>/dev/null || runuser -u munge -- /usr/sbin/munged --force
  started_munge=1
fi
munge -n | unmunge >/dev/null || { echo "slurm-demo: munge does not work" >&2; exit 1; }

node=$(hostname -s)
mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
cat >"$work/slurm.conf" <<EOF
ClusterName=hsxdemo
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=demo Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF=$work/slurm.conf
say "starting slurmctld and slurmd ($SLURM_CONF)"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then break; fi
  sleep 0.5
done
sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' || { echo "slurm-demo: the node did not come up" >&2; sinfo >&2 || true; exit 1; }

say "sbatch --array=0-$((SHARDS - 1)): hsx regress --seeds $SEEDS --shard auto"
t0=$(date +%s.%N)
set +e
HSX=$HSX SEEDS=$SEEDS OUT=$work/results sbatch --wait --quiet --array=0-$((SHARDS - 1)) \
  --chdir="$repo" --cpus-per-task=1 --output="$work/log/task-%a.out" contrib/slurm/regress.sbatch
sb=$?
set -e
t1=$(date +%s.%N)
say "array done in $(echo "$t1 - $t0" | bc) s (sbatch exit $sb)"
ls "$work"/results/shard-*.json >/dev/null 2>&1 || { echo "slurm-demo: no results were written" >&2; cat "$work"/log/task-*.out >&2 || true; exit 1; }

set +e
"$HSX" merge "$work"/results/shard-*.json --junit "$work/merged.xml" >"$work/merged.txt"
m=$?
"$HSX" regress --seeds "$SEEDS" --traces "$work/results/traces" --junit "$work/single.xml" >"$work/single.txt" 2>"$work/log/single.err"
s=$?
set -e
say "merge exit $m, single-process exit $s"
strip() { grep -v '^  time: ' "$1"; }
if [ $m -ne $s ]; then echo "slurm-demo: exit codes differ" >&2; exit 1; fi
if ! diff <(strip "$work/merged.txt") <(strip "$work/single.txt"); then
  echo "slurm-demo: the merged summary differs from the single-process run" >&2
  exit 1
fi
if ! cmp -s "$work/merged.xml" "$work/single.xml"; then
  diff "$work/merged.xml" "$work/single.xml" | head -20 >&2
  echo "slurm-demo: the merged JUnit differs from the single-process run's" >&2
  exit 1
fi
head -5 "$work/merged.txt"
say "OK: $SHARDS shards merged equal the single-process run"
