# A support assistant that must always answer: three providers in a row,
# each with a deadline for its first byte, behind an authenticated gateway.
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

resource "aigw_gateway" "assist" {
  account_id     = "0123456789abcdef0123456789abcdef"
  id             = "assist"
  authentication = true # callers need cf-aig-authorization
}

resource "aigw_fallback" "assist" {
  account_id = aigw_gateway.assist.account_id
  gateway_id = aigw_gateway.assist.id
  name       = "assist"
  steps = [
    { provider = "groq", model = "llama-3.3-70b-versatile", timeout_ms = 300 },
    { provider = "anthropic", model = "claude-haiku-4-5", timeout_ms = 2000, retries = 1 },
    { provider = "openai", model = "gpt-4o-mini", timeout_ms = 5000 },
  ]
}
