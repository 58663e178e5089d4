# Import ID: <account_id>/<gateway_id>. Imported header values are taken as
# secrets: their names are kept, their values never reach the state.
terraform import aigw_otel.example 0123456789abcdef0123456789abcdef/support-bot
