terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

resource "aigw_dlp" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id

  policies = [
    # Card numbers and SSNs never reach a model, and never leave one.
    { id = "payments", action = "BLOCK", profiles = ["credit_card", "us_ssn"] },
    # Contact details in answers are logged for review.
    { id = "contacts", action = "FLAG", profiles = ["email", "phone"], check = ["RESPONSE"] },
  ]
}
