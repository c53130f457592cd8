#!/usr/bin/env bash
# Installs every Debian package Baton needs to build, test and benchmark. Idempotent: it only
# calls apt-get when something is missing. Run as root (CI and these machines are root) or with sudo.
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmimalloc-dev libsqlite3-dev libpq-dev
  clang-format-19 clang-tidy-19
  clang-19 libclang-rt-19-dev
  nodejs npm wrk nginx-light procps util-linux
  postgresql redis-server libhiredis-dev libsodium-dev prometheus
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodesource's nodejs bundles npm; do not ask apt for Debian's npm on top of it.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm/}")
fi
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done

if [ ${#filtered[@]} -gt 0 ]; then
  echo "installing: ${filtered[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
fi

# ---- Tokenizer rank tables (docs/tokenizer.md) ----
# build-data/*.tiktoken from the pinned npm package, checksum-verified; the build embeds them.
"$(dirname "${BASH_SOURCE[0]}")/fetch-token-ranks.sh"
