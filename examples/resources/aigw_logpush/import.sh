# Import ID: <account_id>/<gateway_id>
terraform import aigw_logpush.example 0123456789abcdef0123456789abcdef/support-bot
