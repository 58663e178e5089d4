# Import ID: <account_id>/<gateway_id>/<route_id>
terraform import aigw_route.support 0123456789abcdef0123456789abcdef/support-bot/54442216-0d5c-4f7a-9f0f-5f2a1c9b7e33
