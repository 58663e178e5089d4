# Quickstart: an AI Gateway with caching, a rate limit and a fallback chain,
# managed by Terraform and created on the local aigw emulator (aigw test and
# aigw dev point it there). With AIGW_BASE_URL unset, a real CLOUDFLARE_API_TOKEN
# and your account id, the same file creates the same gateway on Cloudflare.
terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "base_url" {
  description = "The Cloudflare API root. Unset: AIGW_BASE_URL if set, else https://api.cloudflare.com/client/v4."
  type        = string
  default     = null
}

variable "api_token" {
  description = "An API token with AI Gateway Read and Write. Unset: CLOUDFLARE_API_TOKEN (any token works on the emulator)."
  type        = string
  sensitive   = true
  default     = null
}

variable "account_id" {
  description = "Your Cloudflare account id, 32 hex digits (terraform.tfvars holds one the emulator accepts)."
  type        = string

  validation {
    condition     = length(var.account_id) == 32
    error_message = "account_id is the 32-hex-digit id on your Cloudflare dashboard's overview page."
  }
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
