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

resource "aigw_gateway" "main" {
  account_id         = var.account_id
  id                 = "support-bot"
  collect_logs       = true
  retry_max_attempts = 3
}

resource "aigw_cache" "main" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  ttl        = 3600
}

resource "aigw_rate_limit" "main" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  limit      = 100
  interval   = 60
  technique  = "fixed"
}
