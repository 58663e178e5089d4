resource "aigw_cache" "example" {
  account_id           = aigw_gateway.example.account_id
  gateway_id           = aigw_gateway.example.id
  ttl                  = 3600 # seconds, 60..2592000
  invalidate_on_update = true
}
