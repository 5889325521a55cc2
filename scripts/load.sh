#!/usr/bin/env bash
# Load on the voice-turn webhook with wrk on loopback: signature check,
# store write and the dialog included, at 50 and 200 concurrent calls, on
# SQLite and on PostgreSQL (127.0.0.1:5432, user postgres, a fresh
# database per run). Prints median and p99 latency and turns per second.
#
#     scripts/load.sh [SECONDS] [PACE_MS]
#
# PACE_MS (default 1000) is how long each call pauses between turns, as a
# caller speaking does; 0 runs wrk closed-loop, a throughput test. These
# machines are shared and noisy: compare ratios and medians.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
pace="${2:-1000}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk"
    as_root apt-get install -y -q wrk >/dev/null 2>&1 \
        || { as_root apt-get update -q >/dev/null && as_root apt-get install -y -q wrk >/dev/null; }
fi
# More sockets than wrk's 200 connections plus the server's.
ulimit -n 65536 2>/dev/null || true

cargo build --release --example load --locked
load=target/release/examples/load
"$load" --wrk "$seconds" --pace-ms "$pace"
"$load" --wrk "$seconds" --pace-ms "$pace" --postgres postgres://postgres@127.0.0.1:5432
