terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "assistant"
}

resource "aigw_fallback" "chat" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id
  name       = "chat" # apps call model "dynamic/chat"
  steps = [
    { provider = "workers-ai", model = "@cf/meta/llama-3.1-8b-instruct", timeout_ms = 5000, retries = 2 },
    { provider = "openai", model = "gpt-4o-mini" },
  ]
}
