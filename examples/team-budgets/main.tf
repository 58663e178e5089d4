# Team budgets: one gateway shared by several teams, each with its own daily
# spend limit, and an hourly cap on the expensive model in production. Apps
# say who they are with `cf-aig-metadata: {"team": "...", "env": "..."}`; a
# request its budget cannot cover gets 429 (code 2045) and never reaches the
# provider. `aigw test examples/team-budgets` proves it on the emulator.
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

variable "team_daily_usd" {
  description = "What each team may spend per UTC day, in USD."
  type        = number
  default     = 25

  validation {
    condition     = var.team_daily_usd >= 0
    error_message = "team_daily_usd is a budget in USD, at least 0."
  }
}

variable "prod_gpt4o_hourly_usd" {
  description = "What production may spend on gpt-4o per clock hour, in USD, all teams together."
  type        = number
  default     = 5
}

provider "aigw" {
  base_url  = var.base_url
  api_token = var.api_token
}

resource "aigw_gateway" "main" {
  account_id     = var.account_id
  id             = "team-budgets"
  collect_logs   = true
  authentication = false
}

resource "aigw_spend_limit" "main" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  rules = [
    {
      id           = "team-daily"
      limit        = var.team_daily_usd
      window       = 86400
      technique    = "fixed" # resets at midnight UTC
      partition_by = ["team"]
    },
    {
      id        = "prod-gpt-4o-hourly"
      limit     = var.prod_gpt4o_hourly_usd
      window    = 3600
      technique = "fixed"
      models    = ["openai/gpt-4o"]
      metadata  = { env = ["prod"] }
    },
  ]
}

output "openai_base_url" {
  description = "Give this to the OpenAI SDK as base_url."
  value       = "${aigw_gateway.main.endpoint}/openai"
}
