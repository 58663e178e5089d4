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

provider "aigw" {
  alias    = "west"
  base_url = "https://west.example.com"
}

variable "teams" {
  description = "The teams that get a gateway."
  type        = list(string)
  default = [
    "data",
    "support",
    "billing",
    "growth",
    "chat",
    "ranking",
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
    data    = { limit = 484, window = 120 }
    support = { limit = 290, window = 120 }
    billing = { limit = 384, window = 3600 }
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

locals {
  # Every gateway,keyed by team.
  gateways = { for t in var.teams : t => {
    id    = "gw-${t}"
    ttl   = var.cache_ttl
    logs  = true
    model = "llama-3.1-8b"
  } }
  prefix = "aigw"
  env    = terraform.workspace == "default" ? "prod" : terraform.workspace
  names  = [for k, v in local.gateways : "${local.prefix}-${k}"]
  steps = [
    { provider = "groq", model = "gemini-1.5-flash", retries = 0 },
    { provider = "workers-ai", model = "gpt-4o-mini", retries = 0 },
    { provider = "google-ai-studio", model = "mixtral-8x7b", retries = 2 },
    { provider = "mistral", model = "gpt-4o-mini", retries = 3 },
  ]
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
    prevent_destroy = false
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

module "extra" {
  source = "./modules/extra"
  teams  = var.teams
  providers = {
    aigw = aigw.west
  }
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
   