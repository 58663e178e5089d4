# Import ID: <account_id>/<gateway_id>/<provider_key_id>. The key itself is
# never read back: set secret_wo and secret_wo_version, and the next apply
# sends it.
terraform import aigw_provider_key.openai 0123456789abcdef0123456789abcdef/support-bot/3f2a9c1e0b7d4e6f8a5b2c1d0e9f8a7b
