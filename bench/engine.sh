#!/usr/bin/env bash
# Engine benchmark: generated configurations of about N resources (N/3
# gateways, each with a cache and a rate limit) against one emulator. For each N it
# times `aigw apply`, `aigw plan` (refresh included) and `terraform plan` on
# the same directory and state, and prints the ratio and aigw's peak RSS.
#   bench/engine.sh [N ...]      (default: 10 100 1000 3000 resources; needs terraform)
#   bench/engine.sh modules      the module-heavy shape: 100 instances of a module
#                                (for_each) holding 10 resources each
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib.sh
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1000 3000)
aigw="$root/target/release/aigw"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }
if [ "${sizes[0]}" = modules ]; then
  d="$work/modules"; mkdir -p "$d/modules/team"
  {
    printf 'terraform {\n  required_providers {\n    aigw = { source = "aigw/aigw" }\n  }\n}\n'
    printf 'provider "aigw" {\n  base_url  = "http://%s/client/v4"\n  api_token = "bench"\n}\n' "$addr"
    cat <<'TF'
module "team" {
  source   = "./modules/team"
  for_each = toset([for i in range(100) : "t${i}"])
  name     = "bench-${each.key}"
}
TF
  } >"$d/main.tf"
  cat >"$d/modules/team/main.tf" <<'TF'
terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}
variable "name" {
  type = string
}
resource "aigw_gateway" "g" {
  count      = 4
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "${var.name}-${count.index}"
}
resource "aigw_cache" "c" {
  count      = 3
  account_id = aigw_gateway.g[count.index].account_id
  gateway_id = aigw_gateway.g[count.index].id
  ttl        = 3600
}
resource "aigw_rate_limit" "r" {
  count      = 3
  account_id = aigw_gateway.g[count.index].account_id
  gateway_id = aigw_gateway.g[count.index].id
  limit      = 100
  interval   = 60
}
TF
  echo "| module instances | resources | aigw apply (ms) | aigw plan (ms) | terraform plan (ms) | terraform / aigw plan | aigw plan peak RSS (MB) |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  terraform -chdir="$d" get >/dev/null
  a=$(ms "$aigw" -chdir="$d" apply -auto-approve)
  p=$(ms "$aigw" -chdir="$d" plan -detailed-exitcode)
  if [ -n "${BENCH_NO_TERRAFORM:-}" ]; then t=0; else t=$(ms terraform -chdir="$d" plan -detailed-exitcode -no-color); fi
  r=$(rss "$aigw" -chdir="$d" plan)
  printf '| 100 | 1000 | %d | %d | %d | %.1f | %d |\n' "$a" "$p" "$t" "$(echo "$t / $p" | bc -l)" $((r / 1024))
  if [ -n "${BENCH_PROFILE:-}" ]; then
    for f in "-refresh=false" "-refresh=true"; do echo "aigw plan $f: $(ms "$aigw" -chdir="$d" plan $f) ms; terraform plan $f: $(ms terraform -chdir="$d" plan $f) ms"; done
  fi
  "$aigw" -chdir="$d" destroy -auto-approve >/dev/null
  exit 0
fi
echo "| gateways | resources | aigw apply (ms) | aigw plan (ms) | terraform plan (ms) | terraform / aigw plan | aigw plan peak RSS (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for size in "${sizes[@]}"; do
  n=$(( (size + 2) / 3 ))
  d="$work/n$n"; mkdir -p "$d"
  {
    printf 'terraform {\n  required_providers {\n    aigw = { source = "aigw/aigw" }\n  }\n}\n'
    printf 'provider "aigw" {\n  base_url  = "http://%s/client/v4"\n  api_token = "bench"\n}\n' "$addr"
    printf 'locals {\n  teams = toset([for i in range(%d) : "t${i}"])\n}\n' "$n"
    cat <<'TF'
resource "aigw_gateway" "g" {
  for_each   = local.teams
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "bench-${each.key}"
}
resource "aigw_cache" "c" {
  for_each   = local.teams
  account_id = aigw_gateway.g[each.key].account_id
  gateway_id = aigw_gateway.g[each.key].id
  ttl        = 3600
}
resource "aigw_rate_limit" "r" {
  for_each   = local.teams
  account_id = aigw_gateway.g[each.key].account_id
  gateway_id = aigw_gateway.g[each.key].id
  limit      = 100
  interval   = 60
}
TF
  } >"$d/main.tf"
  a=$(ms "$aigw" -chdir="$d" apply -auto-approve)
  p=$(ms "$aigw" -chdir="$d" plan -detailed-exitcode)
  # BENCH_NO_TERRAFORM=1 skips terraform (for quick aigw-only comparisons).
  if [ -n "${BENCH_NO_TERRAFORM:-}" ]; then t=0; else t=$(ms terraform -chdir="$d" plan -detailed-exitcode -no-color); fi
  r=$(rss "$aigw" -chdir="$d" plan)
  printf '| %d | %d | %d | %d | %d | %.1f | %d |\n' "$n" $((3 * n)) "$a" "$p" "$t" "$(echo "$t / $p" | bc -l)" $((r / 1024))
  "$aigw" -chdir="$d" destroy -auto-approve >/dev/null
done
