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

locals {
  a = local.b
  b = local.a
}

output "o" {
  value = local.a
}
