terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

resource "aigw_gateway" "example" {
  account_id = "0123456789abcdef0123456789abcdef"
  id         = "support-bot"
}

# Generate the key pair once and keep the private key out of the repository:
#   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out private_key.pem
#   openssl rsa -pubout -in private_key.pem -out logpush_public_key.pem
resource "aigw_logpush" "example" {
  account_id = aigw_gateway.example.account_id
  gateway_id = aigw_gateway.example.id
  public_key = file("${path.module}/logpush_public_key.pem")
}
