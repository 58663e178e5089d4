terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "openai_api_key" {
  type      = string
  sensitive = true
  default   = "sk-replace-me"
}

resource "aigw_gateway" "example" {
  account_id     = "0123456789abcdef0123456789abcdef"
  id             = "support-bot"
  authentication = true
  byok_only      = true # a request with no key at all is refused, never billed to credits
}

resource "aigw_provider_key" "openai" {
  account_id    = aigw_gateway.example.account_id
  gateway_id    = aigw_gateway.example.id
  provider_slug = "openai"
  alias         = "production"
  default       = true

  # Sent to the API, never written to the plan or the state (Terraform 1.11+).
  secret_wo         = var.openai_api_key
  secret_wo_version = 1 # bump to rotate the key

  rate_limit        = 600
  rate_limit_period = 60
}
