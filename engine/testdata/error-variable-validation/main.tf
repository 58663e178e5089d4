terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

provider "aigw" {
  base_url  = "EMULATOR_URL"
  api_token = "golden"
}

variable "account_id" {
  type    = string
  default = "0123456789abcdef0123456789abcdef"
}

variable "ttl" {
  type    = number
  default = 10

  validation {
    condition     = var.ttl >= 60
    error_message = "The cache TTL must be at least 60 seconds."
  }
}

resource "aigw_cache" "main" {
  account_id = var.account_id
  gateway_id = "support-bot"
  ttl        = var.ttl
}
