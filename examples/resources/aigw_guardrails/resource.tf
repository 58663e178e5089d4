terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

resource "aigw_guardrails" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id

  # Category => FLAG (log it) or BLOCK (refuse with HTTP 424).
  prompt = {
    P1  = "BLOCK" # prompt injection
    S1  = "BLOCK" # violent crimes
    S10 = "FLAG"  # hate
  }
  response = {
    S6 = "FLAG" # specialized advice
  }
}
