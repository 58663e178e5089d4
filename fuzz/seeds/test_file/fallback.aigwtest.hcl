# Groq hangs (its 300 ms deadline passes) and Anthropic is down: OpenAI,
# the third step, answers.
upstream "groq" {
  timeout = true
}

upstream "anthropic" {
  status = 529
}

scenario "third_step_answers" {
  request "ask" {
    gateway  = aigw_gateway.assist
    provider = "compat"
    path     = "chat/completions"
    headers  = { "cf-aig-authorization" = "Bearer app-token" }
    body     = { model = "dynamic/assist", messages = [{ role = "user", content = "My order is late" }] }
  }
  assert {
    condition     = request.ask.status == 200 && request.ask.headers["cf-aig-step"] == "2"
    error_message = "with groq timing out and anthropic down, the third step answers"
  }
  assert {
    condition     = request.ask.headers["cf-aig-provider"] == "openai" && request.ask.headers["cf-aig-model"] == "gpt-4o-mini"
    error_message = "openai gpt-4o-mini answers"
  }
  assert {
    condition     = calls.anthropic["claude-haiku-4-5"] == 2
    error_message = "anthropic is tried twice (one retry) before moving on"
  }
}

scenario "authentication_is_required" {
  request "anonymous" {
    gateway  = aigw_gateway.assist
    provider = "openai"
    path     = "chat/completions"
    body     = { model = "gpt-4o-mini", messages = [{ role = "user", content = "hi" }] }
  }
  assert {
    condition     = request.anonymous.status == 401 && request.anonymous.body.error[0].code == 2009
    error_message = "an authenticated gateway refuses requests without cf-aig-authorization"
  }
}
