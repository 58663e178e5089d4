terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

resource "aigw_spend_limit" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id

  rules = [
    # Each team (cf-aig-metadata {"team": "..."}) gets $25 a day.
    { limit = 25, window = 86400, partition_by = ["team"] },
    # The expensive model in production: $5 an hour, reset on the hour.
    {
      id        = "prod-gpt-4o"
      limit     = 5
      window    = 3600
      technique = "fixed"
      models    = ["openai/gpt-4o"]
      metadata  = { env = ["prod"] }
    },
  ]
}
