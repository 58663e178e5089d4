terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

# Free users get the small model. Everyone else: 10% of traffic tries the
# new model; the rest goes to gpt-4o while the user is under 100 requests a
# minute and the team under $25 a day, else to the small model.
resource "aigw_route" "support" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id
  name       = "support"
  start      = "plan"

  nodes = {
    plan = {
      type      = "conditional"
      condition = jsonencode({ "metadata.plan" = { "$eq" = "free" } })
      if_true   = "small"
      if_false  = "canary"
    }
    canary = {
      type  = "percentage"
      split = { candidate = 10, per_user = 90 }
    }
    per_user = {
      type     = "rate"
      key      = "metadata.user_id"
      limit    = 100
      window   = 60
      next     = "team_budget"
      fallback = "small"
    }
    team_budget = {
      type     = "budget"
      key      = "metadata.team"
      limit    = 25
      window   = 86400
      next     = "primary"
      fallback = "small"
    }
    candidate = {
      type     = "model"
      provider = "anthropic"
      model    = "claude-sonnet-4-5"
      fallback = "primary"
    }
    primary = {
      type       = "model"
      provider   = "openai"
      model      = "gpt-4o"
      retries    = 2
      timeout_ms = 20000
      fallback   = "small"
    }
    small = {
      type     = "model"
      provider = "workers-ai"
      model    = "@cf/meta/llama-3.1-8b-instruct"
    }
  }
}
