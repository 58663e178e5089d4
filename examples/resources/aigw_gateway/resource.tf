terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id              = "0123456789abcdef0123456789abcdef"
  id                      = "support-bot"
  collect_logs            = true
  authentication          = true
  log_management          = 100000
  log_management_strategy = "DELETE_OLDEST"
  retry_max_attempts      = 3
  retry_delay             = 500
  retry_backoff           = "exponential"
}
