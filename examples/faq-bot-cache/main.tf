# An FAQ bot: the same questions come in all day, so answers are cached for
# ten minutes, and related phrasings share one cache entry through a
# custom cache key chosen by the app.
terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "base_url" {
  type    = string
  default = "http://127.0.0.1:8787/client/v4"
}

variable "api_token" {
  type      = string
  sensitive = true
  default   = "local-dev-token"
}

provider "aigw" {
  base_url  = var.base_url
  api_token = var.api_token
}

resource "aigw_gateway" "faq" {
  account_id   = "0123456789abcdef0123456789abcdef"
  id           = "faq-bot"
  collect_logs = true
}

resource "aigw_cache" "faq" {
  account_id = aigw_gateway.faq.account_id
  gateway_id = aigw_gateway.faq.id
  ttl        = 600 # ten minutes
}
