#!/usr/bin/env bash
# Times real `terraform plan` on examples/quickstart against the emulator
# (after one apply, so plan refreshes a real gateway). Prints a table.
#   bench/terraform-plan.sh [RUNS]   (default 10; needs terraform on PATH)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-10}"
cd "$root"
cargo build --release -q -p aigw -p terraform-provider-aigw
work="$(mktemp -d)"
cleanup() { [ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkfifo "$work/banner"
target/release/aigw emulator --listen 127.0.0.1:0 >"$work/banner" &
emu_pid=$!
read -r banner <"$work/banner"
addr="${banner#listening on http://}"
printf 'provider_installation {\n  dev_overrides { "aigw/aigw" = "%s" }\n  direct {}\n}\n' "$root/target/release" >"$work/cli.tfrc"
cp examples/quickstart/*.tf "$work/"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
tf() { terraform -chdir="$work" "$@" -no-color -var "base_url=http://$addr/client/v4" >/dev/null 2>&1; }
tf apply -auto-approve
times=()
for _ in $(seq "$runs"); do
  s=$(date +%s%N); tf plan -detailed-exitcode; e=$(date +%s%N)
  times+=($(( (e - s) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "$(terraform version | head -n1), quickstart (1 gateway), emulator on loopback"
echo "| measurement          | runs | min (ms) | p50 (ms) | max (ms) |"
echo "|----------------------|-----:|---------:|---------:|---------:|"
printf '| terraform plan       | %4d | %8d | %8d | %8d |\n' "$runs" "${sorted[0]}" "${sorted[$((runs / 2))]}" "${sorted[$((runs - 1))]}"
tf destroy -auto-approve
