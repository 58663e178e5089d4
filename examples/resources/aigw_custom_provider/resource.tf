terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "neon_api_key" {
  type      = string
  sensitive = true
  default   = "replace-me"
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

# An OpenAI-compatible service of our own, reached as custom-neon.
resource "aigw_custom_provider" "neon" {
  account_id = aigw_gateway.example.account_id
  name       = "Neon LLM"
  slug       = "neon"
  base_url   = "https://llm.neon.example/v1"
  headers    = { "x-tenant" = "support" }
}

# Its key is stored like any provider's.
resource "aigw_provider_key" "neon" {
  account_id        = aigw_gateway.example.account_id
  gateway_id        = aigw_gateway.example.id
  provider_slug     = aigw_custom_provider.neon.runtime_slug
  alias             = "default"
  secret_wo         = var.neon_api_key
  secret_wo_version = 1
}
