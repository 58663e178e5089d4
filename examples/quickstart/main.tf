# Quickstart: one AI Gateway, managed by Terraform, created on the local
# aigw emulator. Point base_url at https://api.cloudflare.com/client/v4 and
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

output "openai_base_url" {
  description = "Give this to the OpenAI SDK as base_url."
  value       = "${aigw_gateway.main.endpoint}/openai"
}
