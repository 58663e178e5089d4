# PII guard: a support assistant's gateway that never lets a card number or an
# SSN through, in either direction, flags contact details in answers, and
# refuses prompt injection. `aigw test examples/pii-guard` proves it on the
# emulator; `aigw apply -var base_url=... -var api_token=...` points the same
# file at any emulator or at Cloudflare.
terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "base_url" {
  description = "The Cloudflare API root. Unset: AIGW_BASE_URL if set, else https://api.cloudflare.com/client/v4."
  type        = string
  default     = null
}

variable "api_token" {
  description = "An API token with AI Gateway Read and Write. Unset: CLOUDFLARE_API_TOKEN (any token works on the emulator)."
  type        = string
  sensitive   = true
  default     = null
}

variable "account_id" {
  description = "Your Cloudflare account id, 32 hex digits (terraform.tfvars holds one the emulator accepts)."
  type        = string

  validation {
    condition     = length(var.account_id) == 32
    error_message = "account_id is the 32-hex-digit id on your Cloudflare dashboard's overview page."
  }
}

variable "payment_profiles" {
  description = "DLP profiles that must never pass. On Cloudflare, your Zero Trust DLP profile ids."
  type        = list(string)
  default     = ["credit_card", "us_ssn"]
}

variable "contact_profiles" {
  description = "DLP profiles flagged in answers for review."
  type        = list(string)
  default     = ["email", "phone"]
}

provider "aigw" {
  base_url  = var.base_url
  api_token = var.api_token
}

resource "aigw_gateway" "main" {
  account_id     = var.account_id
  id             = "pii-guard"
  collect_logs   = true
  authentication = false
}

resource "aigw_dlp" "main" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  policies = [
    { id = "payments", action = "BLOCK", profiles = var.payment_profiles },
    { id = "contacts", action = "FLAG", profiles = var.contact_profiles, check = ["RESPONSE"] },
  ]
}

resource "aigw_guardrails" "main" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  prompt = {
    P1 = "BLOCK" # prompt injection
    S7 = "FLAG"  # privacy
  }
}

output "openai_base_url" {
  description = "Give this to the OpenAI SDK as base_url."
  value       = "${aigw_gateway.main.endpoint}/openai"
}
