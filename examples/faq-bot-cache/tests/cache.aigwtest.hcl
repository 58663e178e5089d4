# TTLs run on the emulator's clock: `advance` moves it, so nothing waits.

scenario "answers_expire_after_the_ttl" {
  request "first" {
    gateway  = aigw_gateway.faq
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "What are your opening hours?" }] }
  }
  request "nine_minutes_later" {
    advance  = "9m"
    gateway  = aigw_gateway.faq
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "What are your opening hours?" }] }
  }
  request "eleven_minutes_later" {
    advance  = "2m"
    gateway  = aigw_gateway.faq
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "What are your opening hours?" }] }
  }
  assert {
    condition     = request.nine_minutes_later.headers["cf-aig-cache-status"] == "HIT"
    error_message = "within the 10 minute TTL the answer comes from the cache"
  }
  assert {
    condition     = request.eleven_minutes_later.headers["cf-aig-cache-status"] == "MISS"
    error_message = "after the TTL the question goes upstream again"
  }
  assert {
    condition     = calls.openai["gpt-4o-mini"] == 2
    error_message = "exactly two upstream calls: the first and the one after expiry"
  }
}

scenario "custom_cache_keys_share_answers" {
  request "phrasing_a" {
    gateway  = aigw_gateway.faq
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-cache-key" = "faq:opening-hours" }
    body     = { model = "gpt-4o", messages = [{ role = "user", content = "When are you open?" }] }
  }
  request "phrasing_b" {
    gateway  = aigw_gateway.faq
    provider = "openai"
    path     = "chat/completions"
    headers  = { "cf-aig-cache-key" = "faq:opening-hours" }
    body     = { model = "gpt-4o", messages = [{ role = "user", content = "What time do you open?" }] }
  }
  assert {
    condition     = request.phrasing_b.headers["cf-aig-cache-status"] == "HIT" && request.phrasing_b.body == request.phrasing_a.body
    error_message = "two phrasings with one cache key share one answer"
  }
  assert {
    condition     = length([for l in logs : l if l.cached]) >= 2
    error_message = "cache hits are logged as cached"
  }
}
