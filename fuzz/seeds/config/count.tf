terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

provider "aigw" {
  base_url  = "EMULATOR_URL"
  api_token = "golden"
}

variable "account_id" {
  type    = string
  default = "0123456789abcdef0123456789abcdef"
}

variable "teams" {
  type = map(number)
}

resource "aigw_gateway" "team" {
  for_each   = var.teams
  account_id = var.account_id
  id         = "team-${each.key}"
}

resource "aigw_rate_limit" "team" {
  for_each   = var.teams
  account_id = var.account_id
  gateway_id = aigw_gateway.team[each.key].id
  limit      = each.value
  interval   = 60
  technique  = "sliding"
}

resource "aigw_gateway" "shard" {
  count      = var.shards
  account_id = var.account_id
  id         = "shard-${count.index}"
}

variable "shards" {
  type = number
}
