# Proves the budgets with real traffic on the emulator:
#   aigw test examples/team-budgets
#
# The budgets are made small so a burst of simulated requests runs them out.
# Cost is the simulator's token counts at Cloudflare's model prices; the
# emulator admits a request only if its budget can pay the most it may cost
# (its max_tokens), so no budget is ever overspent, even by 16 at once.
variables {
  team_daily_usd        = 0.005
  prod_gpt4o_hourly_usd = 0.002
}

scenario "a_team_stops_at_its_daily_budget" {
  # Sixteen at a time: each request holds the most it may cost until it ends.
  request "burst" {
    gateway     = aigw_gateway.main
    provider    = "openai"
    path        = "chat/completions"
    headers     = { "cf-aig-metadata" = jsonencode({ team = "search" }) }
    body        = { model = "gpt-4o", max_tokens = 20, messages = [{ role = "user", content = "Summarise this ticket for the on-call engineer" }] }
    count       = 40
    concurrency = 16
  }
  # Then one at a time until the day's budget cannot pay for another. How
  # many of the burst get in depends on how its requests overlap (at least
  # nine), so fifty more always run it out.
  request "rest" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-metadata" = jsonencode({ team = "search" }) }
    body     = { model = "gpt-4o", max_tokens = 20, messages = [{ role = "user", content = "One more ticket" }] }
    count    = 50
  }
  request "other_team" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-metadata" = jsonencode({ team = "ads" }) }
    body     = { model = "gpt-4o", max_tokens = 20, messages = [{ role = "user", content = "Write a tagline" }] }
  }
  assert {
    condition     = alltrue([for r in concat(request.burst, request.rest) : r.status == 429 && r.body.error[0].code == 2045 if r.status != 200])
    error_message = "past its budget a team gets 429 with Cloudflare's spend-limit code 2045"
  }
  assert {
    condition     = request.rest[49].status == 429
    error_message = "ninety requests cost more than the day's budget"
  }
  assert {
    condition     = spend["team-budgets"]["team-daily"].partitions["team=search"] <= var.team_daily_usd
    error_message = "no request is admitted past the budget, even sixteen at a time"
  }
  assert {
    condition     = spend["team-budgets"]["team-daily"].partitions["team=search"] >= 0.8 * var.team_daily_usd
    error_message = "the budget is spent before requests are refused"
  }
  assert {
    condition     = request.other_team.status == 200
    error_message = "another team has its own budget"
  }
  assert {
    condition     = length([for l in logs : l if l.status_code == 429 && l.cost == 0]) > 0
    error_message = "refused requests are logged, and cost nothing"
  }
}

scenario "budgets_reset_at_midnight" {
  request "tomorrow" {
    advance  = "24h"
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-metadata" = jsonencode({ team = "search" }) }
    body     = { model = "gpt-4o-mini", max_tokens = 100, messages = [{ role = "user", content = "Good morning" }] }
  }
  assert {
    condition     = request.tomorrow.status == 200
    error_message = "a fixed daily window refills at midnight UTC"
  }
}

scenario "production_gpt_4o_is_capped_per_hour" {
  request "prod" {
    gateway     = aigw_gateway.main
    provider    = "openai"
    path        = "chat/completions"
    headers     = { "cf-aig-metadata" = jsonencode({ team = "support", env = "prod" }) }
    body        = { model = "gpt-4o", max_tokens = 100, messages = [{ role = "user", content = "Draft a reply" }] }
    count       = 10
    concurrency = 4
  }
  request "dev" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-metadata" = jsonencode({ team = "platform", env = "dev" }) }
    body     = { model = "gpt-4o", max_tokens = 100, messages = [{ role = "user", content = "Draft a reply" }] }
  }
  assert {
    condition     = anytrue([for r in request.prod : strcontains(r.body.error[0].message, "prod-gpt-4o-hourly") if r.status == 429])
    error_message = "production gpt-4o stops at its hourly cap, and the 429 names the rule"
  }
  assert {
    condition     = request.dev.status == 200
    error_message = "the cap covers production only"
  }
}
