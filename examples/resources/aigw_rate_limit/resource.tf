resource "aigw_rate_limit" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id
  limit      = 100       # requests
  interval   = 60        # seconds
  technique  = "sliding" # "fixed" (default) | "sliding"
}
