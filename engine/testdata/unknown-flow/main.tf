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
resource "aigw_gateway" "primary" {
  account_id = var.account_id
  id         = "primary"
}

# The secondary gateway copies the settings the API gives the primary:
# unknown until the primary exists.
resource "aigw_gateway" "secondary" {
  account_id         = var.account_id
  id                 = "secondary"
  retry_delay        = aigw_gateway.primary.retry_delay
  retry_max_attempts = aigw_gateway.primary.retry_max_attempts
}

resource "aigw_cache" "secondary" {
  account_id = var.account_id
  gateway_id = aigw_gateway.secondary.id
  # Known only once the primary exists.
  ttl        = aigw_gateway.primary.created_at == "" ? 60 : 3600
}
