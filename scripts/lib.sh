# Shared by scripts/demo.sh and bench/terraform-plan.sh: build the release
# binaries, start `aigw emulator` on a free port, and write a dev_overrides
# CLI config. Source it after setting `root`; it sets `work`, `addr` and
# TF_CLI_CONFIG_FILE, and cleans up on exit.
cargo build --release -q -p aigw -p terraform-provider-aigw
work="$(mktemp -d)"
cleanup() { [ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# The emulator prints "listening on http://ADDR" once it serves.
mkfifo "$work/banner"
"$root/target/release/aigw" emulator --listen 127.0.0.1:0 >"$work/banner" &
emu_pid=$!
read -r banner <"$work/banner"
addr="${banner#listening on http://}"
printf 'provider_installation {\n  dev_overrides { "aigw/aigw" = "%s" }\n  direct {}\n}\n' "$root/target/release" >"$work/cli.tfrc"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
