# Import ID: <account_id>/<custom_provider_id>
terraform import aigw_custom_provider.neon 0123456789abcdef0123456789abcdef/8a1f0c2e-5b7d-4e39-9c64-2f0d1b3a4e5f
