#!/usr/bin/env bash
# Builds aigw, starts the emulator on a free port, and runs real
# `terraform apply` on examples/quickstart through a dev_overrides CLI
# config; shows the gateway the emulator now holds, proves the next plan is
# empty, and destroys it. Needs `terraform` on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p aigw -p terraform-provider-aigw

work="$(mktemp -d)"
cleanup() { [ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The emulator prints "listening on http://ADDR" once it serves.
mkfifo "$work/banner"
target/release/aigw emulator --listen 127.0.0.1:0 >"$work/banner" &
emu_pid=$!
read -r banner <"$work/banner"
addr="${banner#listening on http://}"
echo "emulator: http://$addr"

cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides { "aigw/aigw" = "$root/target/release" }
  direct {}
}
CFG
cp examples/quickstart/*.tf "$work/"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
tf() { terraform -chdir="$work" "$@" -var "base_url=http://$addr/client/v4"; }

tf apply -auto-approve
echo; echo "The emulator's API now lists:"
curl -s -H "Authorization: Bearer demo" "http://$addr/client/v4/accounts/0123456789abcdef0123456789abcdef/ai-gateway/gateways" | python3 -m json.tool
echo; tf plan -detailed-exitcode >/dev/null && echo "Second plan: no changes."
tf destroy -auto-approve
