# Proves the quickstart gateway's policies with real traffic on the emulator:
#   aigw test examples/quickstart

# Workers AI (the fallback's first step) is down in this file's emulator.
upstream "workers-ai" {
  status = 503
}

scenario "cache_hit" {
  request "first" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "What is an AI gateway?" }] }
  }
  request "second" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "What is an AI gateway?" }] }
  }
  assert {
    condition     = request.first.headers["cf-aig-cache-status"] == "MISS" && request.second.headers["cf-aig-cache-status"] == "HIT"
    error_message = "the repeated question should come from the cache"
  }
  assert {
    condition     = calls.openai["gpt-4o-mini"] == 1
    error_message = "the cached answer must not reach OpenAI again"
  }
}

scenario "skip_cache" {
  request "fresh" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-skip-cache" = "true" }
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "What is an AI gateway?" }] }
  }
  assert {
    condition     = request.fresh.status == 200 && calls.openai["gpt-4o-mini"] == 2
    error_message = "cf-aig-skip-cache should go to OpenAI"
  }
}

scenario "fallback_on_outage" {
  request "chat" {
    gateway  = aigw_gateway.main
    provider = "compat"
    path     = "chat/completions"
    body     = { model = "dynamic/chat", messages = [{ role = "user", content = "Hello" }] }
  }
  assert {
    condition     = request.chat.status == 200 && request.chat.headers["cf-aig-step"] == "1"
    error_message = "with Workers AI down, the second step (OpenAI) should answer"
  }
  assert {
    condition     = request.chat.headers["cf-aig-provider"] == "openai"
    error_message = "the answer should come from OpenAI"
  }
}

scenario "metadata_in_logs" {
  request "tagged" {
    gateway  = aigw_gateway.main
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-metadata" = jsonencode({ team = "support", ticket = 42 }) }
    body     = { model = "gpt-4o", messages = [{ role = "user", content = "Tag me" }] }
  }
  assert {
    condition     = length([for l in logs : l if lookup(l.metadata == null ? {} : l.metadata, "team", "") == "support"]) == 1
    error_message = "the request's metadata should be in the logs"
  }
}

scenario "rate_limit" {
  request "burst" {
    gateway     = aigw_gateway.main
    provider    = "openai"
    path        = "chat/completions"
    headers     = { "cf-aig-skip-cache" = "true" }
    body        = { model = "gpt-4o-mini", messages = [{ role = "user", content = "burst" }] }
    count       = 120
    concurrency = 8
  }
  assert {
    condition     = length([for r in request.burst : r if r.status == 429]) > 0
    error_message = "more than 100 requests a minute should be rate limited"
  }
  assert {
    condition     = alltrue([for r in request.burst : r.status == 200 ? true : r.body.error[0].code == 2003])
    error_message = "refused requests should carry code 2003"
  }
}
