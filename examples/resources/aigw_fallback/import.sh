# Import ID: <account_id>/<gateway_id>/<route_id>
terraform import aigw_fallback.chat 0123456789abcdef0123456789abcdef/support-bot/54442216-1f2e-4f3c-9a8b-7d6e5f4a3b2c
