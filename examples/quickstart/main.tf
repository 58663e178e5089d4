# Quickstart: an AI Gateway with caching, a rate limit and a fallback chain,
# managed by Terraform and created on the local aigw emulator. Point base_url at https://api.cloudflare.com/client/v4 and
# use a real token to create the same gateway on Cloudflare.
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
  default   = "local-dev-token" # any non-empty token works on the emulator
}

variable "account_id" {
  type    = string
  default = "0123456789abcdef0123456789abcdef"
}

provider "aigw" {
  base_url  = var.base_url
  api_token = var.api_token
}

resource "aigw_gateway" "main" {
  account_id         = var.account_id
  id                 = "support-bot"
  collect_logs       = true
  authentication     = false
  retry_max_attempts = 3
  retry_delay        = 500
  retry_backoff      = "exponential"
}

# Identical requests within an hour are answered from the cache.
resource "aigw_cache" "main" {
  account_id           = aigw_gateway.main.account_id
  gateway_id           = aigw_gateway.main.id
  ttl                  = 3600
  invalidate_on_update = true
}

# At most 100 requests per minute through this gateway.
resource "aigw_rate_limit" "main" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  limit      = 100
  interval   = 60
  technique  = "sliding"
}

# Apps ask for model "dynamic/chat": Workers AI answers, OpenAI if it fails.
resource "aigw_fallback" "chat" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  name       = "chat"
  steps = [
    { provider = "workers-ai", model = "@cf/meta/llama-3.1-8b-instruct", timeout_ms = 5000, retries = 2 },
    { provider = "openai", model = "gpt-4o-mini" },
  ]
}

output "openai_base_url" {
  description = "Give this to the OpenAI SDK as base_url."
  value       = "${aigw_gateway.main.endpoint}/openai"
}
