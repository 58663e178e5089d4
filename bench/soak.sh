#!/usr/bin/env bash
# The emulator soak (not CI): mixed traffic with rotating faults for
# SECONDS (default 1800). See bench/soak.py for what it checks.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p aigw
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
python3 bench/soak.py "$root/target/release/aigw" "$data" "${1:-1800}"
