data "aigw_gateway" "existing" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

output "support_bot_endpoint" {
  value = data.aigw_gateway.existing.endpoint
}
