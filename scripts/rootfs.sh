#!/usr/bin/env bash
# Builds the secretsmith container image's root file system in DIR from deploy/rootfs.files
# (see that file), for the chroot test and for deploy/docker/Dockerfile's build stage.
#
#   scripts/rootfs.sh DIR            DIR must not exist or be empty; run from anywhere
#   scripts/rootfs.sh --check        only check that the list covers `ldd dist/secretsmith`
#
# Owners are applied only when running as root (as the Dockerfile's build stage and the
# tests do); otherwise the tree is left owned by the caller.
set -euo pipefail
umask 022   # directories the list does not name (/usr, /etc, ...) are 0755, as in any image

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$root/deploy/rootfs.files"
binary="$root/dist/secretsmith"

die() { echo "rootfs.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: scripts/rootfs.sh DIR | --check"
[ -x "$binary" ] || die "$binary does not exist: run \`make dist\` first."

# Every entry of the list: "PATH MODE OWNER SOURCE" (comments and blank lines skipped).
entries() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list"; }

# The binary must need nothing but the listed shared libraries: `ldd` prints
# "name => /path (addr)" or "/path (addr)" per library.
check_libraries() {
    local missing=0 path
    while read -r path; do
        if ! entries | awk '{print $4}' | grep -qxF "$path"; then
            echo "rootfs.sh: $binary needs $path, which $list does not hold." >&2
            missing=1
        fi
    done < <(ldd "$binary" | awk '$2 == "=>" {print $3; next} $1 ~ /^\// {print $1}')
    [ "$missing" -eq 0 ] || die "add the libraries above to $list, or link them statically (make dist)."
}

check_libraries
[ "$1" = --check ] && exit 0

dir="$1"
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then die "$dir exists and is not empty."; fi
mkdir -p "$dir"
chmod 0755 "$dir"   # the image's / (a fresh temporary directory would be 0700)

while read -r path mode owner source; do
    target="$dir$path"
    if [ "$source" = - ]; then
        mkdir -p "$target"
    else
        case "$source" in
            /*) from="$source" ;;
            *) from="$root/$source" ;;
        esac
        [ -f "$from" ] || die "$from (for $path in $list) does not exist."
        mkdir -p "$(dirname "$target")"
        cp -L "$from" "$target"
    fi
    chmod "$mode" "$target"
    if [ "$(id -u)" -eq 0 ]; then chown "$owner" "$target"; fi
done < <(entries)
