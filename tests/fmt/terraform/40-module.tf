variable "teams" {
  description = "The teams that get a gateway."
  type        = list(string)
  default = [
    "mobile",
    "data",
    "search",
    "chat",
    "support",
  ]

  validation {
    condition     = length(var.teams) > 0 && alltrue([for t in var.teams : can(regex("^[a-z-]+$", t))])
    error_message = "Each team name is lower case letters and dashes."
  }
}

variable "cache_ttl" {
  type    = "number"
  default = 3600

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
    mobile = { limit = 336, window = 3600 }
    data   = { limit = 115, window = 60 }
    search = { limit = 400, window = 120 }
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
  # Every gateway, keyed by team.
  gateways = { for t in var.teams : t => {
    id    = "gw-${t}"
    ttl   = "${var.cache_ttl}"
    logs  = true
    model = "gemini-1.5-flash"
  } }
  prefix = "aigw"
  env    = terraform.workspace == "default" ? "prod" : terraform.workspace
  names  = [for k, v in local.gateways : "${local.prefix}-${k}"]
  steps = [
    { provider = "azure-openai", model = "claude-3-5-haiku", retries = 0 },
    { provider = "groq", model = "claude-3-5-haiku", retries = 3 },
  ]
  banner      = <<EOT
# not a comment
%{for t in var.teams~}
- ${t}
%{endfor~}
EOT
  by_provider = { for s in local.steps : s.provider => s.model... }
  n           = -1
  sum         = 1 + 2 * 3 - -4
  ok          = !false && (1 < 2 || 3 >= 4)
  first       = try(local.steps[0].provider, null)
  split       = split(",", "a,b,c")
}

variable "account_id" {
  type    = string
  default = "0123456789abcdef0123456789abcdef"
}
