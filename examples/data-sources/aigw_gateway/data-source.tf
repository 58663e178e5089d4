terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

# Reads a gateway made elsewhere (here: the one beside it).
resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

data "aigw_gateway" "existing" {
  account_id = aigw_gateway.example.account_id
  id         = aigw_gateway.example.id
}

output "support_bot_endpoint" {
  value = data.aigw_gateway.existing.endpoint
}
