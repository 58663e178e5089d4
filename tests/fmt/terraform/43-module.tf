variable "teams" {
  description = "The teams that get a gateway."
  type        = list(string)
  default = [
    "ranking",
    "support",
  ]

  validation {
    condition     = length(var.teams) > 0 && alltrue([for t in var.teams : can(regex("^[a-z-]+$", t))])
    error_message = "Each team name is lower case letters and dashes."
  }
}

variable "cache_ttl" {
  type    = number
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
    ranking = { limit = 199, window = 3600 }
    support = { limit = 367, window = 60 }
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
    ttl   = var.cache_ttl
    logs  = true
    model = "gemini-1.5-flash"
  } }
  prefix = "aigw"
  env    = terraform.workspace == "default" ? "prod" : terraform.workspace
  names  = [for k, v in local.gateways : "${local.prefix}-${k}"]
  steps = [
    { provider = "openai", model = "mixtral-8x7b", retries = 3 },
    { provider = "azure-openai", model = "gemini-1.5-flash", retries = 1 },
    { provider = "google-ai-studio", model = "gpt-4o-mini", retries = 0 },
    { provider = "workers-ai", model = "gpt-4o-mini", retries = 3 },
  ]
  policy      = <<-EOT
    Gateways for ${join(", ", var.teams)}.
      Cache: ${var.cache_ttl}s
  EOT
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
   