#!/usr/bin/env bash
# Whole-program ingest of a large fleet: generates Zeek logs for N devices
# (bench/gen-fleet), ingests them with `vigil ingest zeek` into a fresh
# SQLite database, and reports wall time, records/s and peak RSS
# (GNU time's "Maximum resident set size").
#
#   bench/fleet-ingest.sh [DEVICES] [CONN_RECORDS]     (default 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-100000}
conns=${2:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v /usr/bin/time >/dev/null || { echo "needs GNU time (Debian package time)" >&2; exit 1; }
go build -o "$tmp/vigil" ./cmd/vigil
go run ./bench/gen-fleet -devices "$devices" -conn "$conns" -out "$tmp/fleet"
records=$(grep -vc '^#' "$tmp"/fleet/*.log | awk -F: '{s+=$2} END {print s}')

/usr/bin/time -v "$tmp/vigil" --db "sqlite:$tmp/vigil.db" --log-level warn ingest zeek "$tmp/fleet" \
  >"$tmp/out" 2>"$tmp/time"
cat "$tmp/out"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
printf 'devices: %d  records: %d  wall: %s s  records/s: %.0f  peak RSS: %.0f MB\n' \
  "$devices" "$records" "$secs" "$(echo "$records $secs" | awk '{print $1/$2}')" "$(echo "$rss" | awk '{print $1/1024}')"

# A second run reads nothing new: the cost of resuming (load + checkpoint checks).
/usr/bin/time -v "$tmp/vigil" --db "sqlite:$tmp/vigil.db" --log-level warn ingest zeek "$tmp/fleet" >/dev/null 2>"$tmp/time2"
printf 're-run (nothing new): wall %s  peak RSS: %.0f MB\n' \
  "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time2")" \
  "$(awk -F': ' '/Maximum resident set size/ {print $2/1024}' "$tmp/time2")"
