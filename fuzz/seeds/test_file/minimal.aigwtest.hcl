upstream "openai" {
  status   = 503
  failures = 1
}
scenario "s" {
  request "r" {
    gateway = aigw_gateway.main
    body    = [{ provider = "openai", endpoint = "chat/completions", headers = {}, query = {} }]
    count   = 2
  }
  assert {
    condition     = request.r[0].status == 200
    error_message = "ok"
  }
}
