#!/usr/bin/env bash
# Builds aigw, starts the emulator on a free port, and runs real
# `terraform apply` on examples/quickstart through a dev_overrides CLI
# config; shows the gateway the emulator now holds, proves the next plan is
# empty, and destroys it. Needs `terraform` on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib.sh
echo "emulator: http://$addr"
cp examples/quickstart/*.tf examples/quickstart/terraform.tfvars "$work/"
tf() { terraform -chdir="$work" "$@" -var "base_url=http://$addr/client/v4" -var "api_token=demo"; }

tf apply -auto-approve
echo; echo "The emulator's API now lists:"
curl -s -H "Authorization: Bearer demo" "http://$addr/client/v4/accounts/0123456789abcdef0123456789abcdef/ai-gateway/gateways" | python3 -m json.tool
echo; tf plan -detailed-exitcode >/dev/null && echo "Second plan: no changes."
tf destroy -auto-approve
