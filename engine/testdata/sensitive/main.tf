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

variable "team_token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-team-token"
}

resource "aigw_gateway" "main" {
  account_id     = var.account_id
  id             = "private-bot"
  authentication = true
}

output "token" {
  value     = var.team_token
  sensitive = true
}

output "url" {
  value = "${aigw_gateway.main.endpoint}/openai"
}
