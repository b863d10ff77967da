#!/usr/bin/env bash
# zeek-cut.sh compares `vigil zeek cut` with Debian's bro-cut (package
# bro-aux) on a generated conn.log of N records (default 2,000,000):
#
#	bench/zeek-cut.sh [N]
#
# It checks that both print the same bytes, then times them with hyperfine.
# Needs: go, hyperfine, bro-aux. The generated log lives in a temporary
# folder that is removed at exit.
set -euo pipefail

n=${1:-2000000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "zeek-cut.sh: $*" >&2; exit 1; }
command -v go >/dev/null || die "go not found"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v bro-cut >/dev/null || die "bro-cut not found (apt-get install bro-aux)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/vigil" ./cmd/vigil || die "cannot build ./cmd/vigil"
"$tmp/vigil" zeek cut --help >/dev/null 2>&1 ||
	die "this vigil has no 'zeek cut' command (wire internal/ingest/zeek.Cut into cmd/vigil)"

echo "generating $n records..."
go run ./bench/gen-fleet -devices 10000 -conn "$n" -out "$tmp/fleet"
mv "$tmp/fleet/conn.log" "$tmp/conn.log"
lines=$(grep -vc '^#' "$tmp/conn.log")

echo "bro-cut:  $(dpkg-query -W -f='${Package} ${Version}' bro-aux 2>/dev/null || echo 'bro-aux (version unknown)')"
echo "vigil:    $(git rev-parse --short HEAD 2>/dev/null || echo 'no commit'), $(go version | cut -d' ' -f3-)"
echo "CPU:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "input:    $lines records, $(du -h "$tmp/conn.log" | cut -f1)"

fields="ts id.orig_h id.orig_p id.resp_h id.resp_p proto"
# shellcheck disable=SC2086 # the fields are separate arguments
bro-cut $fields <"$tmp/conn.log" >"$tmp/bro-cut.out"
# shellcheck disable=SC2086
"$tmp/vigil" zeek cut $fields <"$tmp/conn.log" >"$tmp/vigil.out"
cmp -s "$tmp/bro-cut.out" "$tmp/vigil.out" || die "outputs differ: $(cmp "$tmp/bro-cut.out" "$tmp/vigil.out" 2>&1)"
echo "outputs:  identical ($(wc -l <"$tmp/vigil.out") lines)"

hyperfine --warmup 1 --runs "${RUNS:-10}" --export-csv "$tmp/times.csv" \
	-n "bro-cut" "bro-cut $fields <$tmp/conn.log >/dev/null" \
	-n "vigil zeek cut" "$tmp/vigil zeek cut $fields <$tmp/conn.log >/dev/null"

# hyperfine's CSV: command,mean,stddev,median,user,system,min,max
awk -F, -v n="$lines" 'NR > 1 { printf "%-15s %6.2f M lines/s (mean %.3f s, user %.3f s)\n", $1 ":", n / $2 / 1e6, $2, $5 }' "$tmp/times.csv"
