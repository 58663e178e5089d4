terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "public-api"
}

resource "aigw_rate_limit" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id
  limit      = 100       # requests
  interval   = 60        # seconds
  technique  = "sliding" # "fixed" (default) | "sliding"
}
