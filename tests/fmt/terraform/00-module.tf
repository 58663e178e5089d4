# Providers this module needs.   
terraform {
  required_version = ">= 1.5"
  required_providers {
    aigw = {
      source  = "aigw/aigw"
      version = "~> 0.1"
    }
  }
}

provider "aigw" {
  base_url  = var.base_url
  api_token = var.api_token # from the environment
}

variable "teams" {
  description = "The teams that get a gateway."
  type        = list(string)
  default = [
    "search",
    "ranking",
    "infra",
    "billing",
    "support",
  ]

  validation {
    condition     = length(var.teams) > 0 && alltrue([for t in var.teams : can(regex("^[a-z-]+$", t))])
    error_message = "Each team name is lower case letters and dashes."
  }
}

variable "cache_ttl" {
  type    = "number"
  default = 300

  validation {
    condition     = var.cache_ttl >= 60 && var.cache_ttl <= 86400
    error_message = "The cache TTL is between a minute and a day."
  }
}

variable "limits" {
  description = "Requests per window, per team."
  type = map(object({
    limit     = number
    window    = optional(number, 60)
    technique = optional(string, "sliding")
  }))
  default = {
    search  = { limit = 193, window = 3600 }
    ranking = { limit = 466, window = 60 }
    infra   = { limit = 268, window = 60 }
  }
}

variable "api_token" {
  type      = string
  sensitive = true
  default   = null
}

variable "base_url" {
  type    = string
  default = "http://127.0.0.1:8787"
}

variable "tags" {
  type = map(string)
  default = {
    owner         = "platform"
    env           = "prod"
    "cost-center" = "ai-1234"
  }
}

locals {
  # Every gateway,keyed by team.
  gateways = { for t in var.teams : t => {
    id    = "gw-${t}"
    ttl   = var.cache_ttl
    logs  = true
    model = "gpt-4o-mini"
  } }
  prefix = "aigw"
  env    = terraform.workspace == "default" ? "prod" : terraform.workspace
  names  = [for k, v in local.gateways : "${local.prefix}-${k}"]
  steps = [
    { provider = "mistral", model = "llama-3.1-8b", retries = 0 },
    { provider = "workers-ai", model = "gpt-4o-mini", retries = 2 },
    { provider = "azure-openai", model = "gemini-1.5-flash", retries = 0 },
    { provider = "anthropic", model = "llama-3.1-8b", retries = 3 },
  ]
  policy      = <<-EOT
    Gateways for ${join(", ", var.teams)}.
      Cache: ${var.cache_ttl}s
  EOT
  by_provider = { for s in local.steps : s.provider => s.model... }
  n           = -1
  sum         = 1 + 2 * 3 - -4
  ok          = !false && (1 < 2 || 3 >= 4)
  first       = try(local.steps[0].provider, null)
  split       = split(",", "a,b,c")
}

/* One gateway per team.
   Names are stable: renaming a team replaces its gateway. */
resource "aigw_gateway" "team" {
  for_each = local.gateways

  account_id             = var.account_id
  id                     = each.value.id
  cache_ttl              = each.value.ttl
  collect_logs           = each.value.logs
  rate_limiting_interval = 60
  rate_limiting_limit    = lookup(var.limits, each.key, { limit = 100 }).limit

  lifecycle {
    prevent_destroy = true
    ignore_changes = [
      cache_ttl,
    ]
  }
}

resource "aigw_fallback" "chat" {
  for_each   = aigw_gateway.team
  account_id = var.account_id
  gateway_id = each.value.id
  name       = "chat"
  steps      = local.steps
  depends_on = [aigw_gateway.team]
}

output "gateway_ids" {
  description = "Gateway IDs by team."
  value       = { for k, g in aigw_gateway.team : k => g.id }
}

output "first_gateway" {
  value = aigw_gateway.team[var.teams[0]].id
}

output "token" {
  value     = var.api_token
  sensitive = true
}

variable "account_id" {
  type    = string
  default = "0123456789abcdef0123456789abcdef"
}
