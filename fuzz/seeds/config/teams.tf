# One gateway per team, each with its own rate limit, from one map.
# Adding a team is one line in `teams`.
terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "base_url" {
  type    = string
  default = "http://127.0.0.1:8787/client/v4"
}

variable "api_token" {
  type      = string
  sensitive = true
  default   = "local-dev-token"
}

provider "aigw" {
  base_url  = var.base_url
  api_token = var.api_token
}

locals {
  account_id = "0123456789abcdef0123456789abcdef"
  # team → requests per minute
  teams = {
    search  = 5
    support = 20
  }
}

resource "aigw_gateway" "team" {
  for_each     = local.teams
  account_id   = local.account_id
  id           = "team-${each.key}"
  collect_logs = true
}

resource "aigw_rate_limit" "team" {
  for_each   = local.teams
  account_id = aigw_gateway.team[each.key].account_id
  gateway_id = aigw_gateway.team[each.key].id
  limit      = each.value
  interval   = 60
  technique  = "fixed"
}

output "base_urls" {
  value = { for team, gw in aigw_gateway.team : team => "${gw.endpoint}/openai" }
}
