terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "url-example"
}

data "aigw_gateway_url" "openai" {
  account_id    = aigw_gateway.example.account_id
  gateway_id    = aigw_gateway.example.id
  provider_slug = "openai"
}

output "openai_base_url" {
  value = data.aigw_gateway_url.openai.url
}
