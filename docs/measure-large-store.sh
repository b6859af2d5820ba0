#!/bin/bash
# Issue 21's memory figures on a large demo store (docs/performance.md,
# "The one-million-line store in release"). Usage:
#   depot --data-dir SRC demo --scale large      # once: ~4 min quiet, 2.2 GB
#   docs/measure-large-store.sh SRC WORK [DEPOT]  # WORK is replaced by a copy of SRC
# Prints peak RSS and wall time of: the first open (one command, so a
# snapshot of this state version is saved), reopen + trial balance (twice),
# depot check, the archive of every closed order (10,000 per run), then
# reopen + trial balance and check again.
set -u
SRC=$1; D=$2; B=${3:-target/release/depot}
T() { /usr/bin/time -f "$1 maxrss %M KB wall %e s" "${@:2}"; }
rm -rf "$D"; cp -r "$SRC" "$D"
uptime
one=$(mktemp)
echo '{"operator":"ADMIN","cmd":"create_payment_terms","code":"N99","description":"Net 99","net_days":99}' > "$one"
T "first open (exec one command)" "$B" --data-dir "$D" exec "$one" > /dev/null
du -sh "$D"/sled "$D"/snapshots
for i in 1 2; do T "reopen+TB $i" "$B" --data-dir "$D" report trial-balance > /dev/null; done
T "check" "$B" --data-dir "$D" check | tail -1
for i in $(seq 1 100); do
  "$B" --data-dir "$D" --operator ADMIN archive --older-than 0d --max 10000 > /dev/null 2>&1 || { echo "archive runs: $((i - 1))"; break; }
done
for i in 1 2; do T "archived reopen+TB $i" "$B" --data-dir "$D" report trial-balance > /dev/null; done
T "archived check" "$B" --data-dir "$D" check | tail -1
du -sh "$D"/sled "$D"/snapshots
uptime
