terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "honeycomb_api_key" {
  type      = string
  sensitive = true
  default   = "replace-me"
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

resource "aigw_otel" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id

  exporters = [
    {
      url          = "https://api.honeycomb.io/v1/traces"
      headers      = { "x-honeycomb-dataset" = "llm-gateway" }
      content_type = "protobuf"
      # Sent to the API, never written to the plan or the state (Terraform 1.11+).
      headers_wo         = { "x-honeycomb-team" = var.honeycomb_api_key }
      headers_wo_version = 1 # bump to rotate the key
    },
  ]
}
