terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "faq-bot"
}

resource "aigw_cache" "example" {
  account_id           = aigw_gateway.example.account_id
  gateway_id           = aigw_gateway.example.id
  ttl                  = 3600 # seconds, 60..2592000
  invalidate_on_update = true
}
