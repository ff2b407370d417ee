#!/usr/bin/env bash
# Installs the Debian packages secretsmith builds and tests with, when they are missing:
# libyaml-dev (the system YAML parser) and dash (tests source `shell` outputs with it).
set -euo pipefail

missing=()
pkg-config --exists yaml-0.1 2>/dev/null || missing+=(libyaml-dev pkg-config)
command -v dash >/dev/null 2>&1 || missing+=(dash)

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
