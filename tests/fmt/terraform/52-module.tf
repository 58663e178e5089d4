variable "teams" {
  description = "The teams that get a gateway."
  type        = list(string)
  default = [
    "search",
    "data",
    "infra",
    "growth",
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
    search = { limit = 218, window = 60 }
    data   = { limit = 480, window = 60 }
    infra  = { limit = 91, window = 120 }
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
  # Every gateway, keyed by team.   
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
    { provider = "groq", model = "mixtral-8x7b", retries = 3 },
    { provider = "openai", model = "gemini-1.5-flash", retries = 0 },
    { provider = "mistral", model = "claude-3-5-haiku", retries = 0 },
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
