# The emulator accepts any 32-hex-digit account id. Against Cloudflare, put
# yours here (or pass -var account_id=...).
account_id = "0123456789abcdef0123456789abcdef"
