# Each team's gateway has its own limit: search gets 5 a minute, support 20.

scenario "each_team_has_its_own_limit" {
  request "search" {
    gateway     = aigw_gateway.team["search"]
    provider    = "openai"
    path        = "chat/completions"
    body        = { model = "gpt-4o-mini", messages = [{ role = "user", content = "find it" }] }
    count       = 10
    concurrency = 10
  }
  request "support" {
    gateway     = aigw_gateway.team["support"]
    provider    = "openai"
    path        = "chat/completions"
    body        = { model = "gpt-4o-mini", messages = [{ role = "user", content = "help" }] }
    count       = 10
    concurrency = 10
  }
  assert {
    condition     = length([for r in request.search : r if r.status == 200]) == 5
    error_message = "search is limited to 5 requests a minute"
  }
  assert {
    condition     = length([for r in request.support : r if r.status == 429]) == 0
    error_message = "support's 20 a minute is not reached by 10 requests"
  }
}

scenario "limits_reset_with_the_window" {
  request "later" {
    advance  = "60s"
    gateway  = aigw_gateway.team["search"]
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "find it again" }] }
  }
  assert {
    condition     = request.later.status == 200
    error_message = "a new minute brings a new window"
  }
}
