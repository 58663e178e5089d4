#!/usr/bin/env bash
# Times real `terraform plan` on examples/quickstart against the emulator
# (after one apply, so plan refreshes real objects). Prints a table.
#   bench/terraform-plan.sh [RUNS]   (default 10; needs terraform on PATH)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-10}"
cd "$root"
. scripts/lib.sh
cp examples/quickstart/*.tf examples/quickstart/terraform.tfvars "$work/"
tf() { terraform -chdir="$work" "$@" -no-color -var "base_url=http://$addr/client/v4" -var "api_token=bench" >/dev/null 2>&1; }
tf apply -auto-approve
times=()
for _ in $(seq "$runs"); do
  s=$(date +%s%N); tf plan -detailed-exitcode; e=$(date +%s%N)
  times+=($(( (e - s) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "$(terraform version | head -n1), examples/quickstart (gateway, cache, rate limit, fallback), emulator on loopback"
echo "| measurement          | runs | min (ms) | p50 (ms) | max (ms) |"
echo "|----------------------|-----:|---------:|---------:|---------:|"
printf '| terraform plan       | %4d | %8d | %8d | %8d |\n' "$runs" "${sorted[0]}" "${sorted[$((runs / 2))]}" "${sorted[$((runs - 1))]}"
tf destroy -auto-approve
