#!/usr/bin/env bash
# `make dist`: the self-contained release binary dist/secretsmith, and dist/secretsmith.sha256
# (`sha256sum --check` format).
#
# - The Swift runtime and Foundation (with its ICU data) are linked statically:
#   --static-swift-stdlib.
# - So are the C and C++ libraries the packages ask for by name (libyaml through its
#   pkg-config file, libstdc++ and zlib through linker settings, libgcc_s from the compiler
#   driver) wherever the system has the archive (libyaml-dev, libstdc++-dev, zlib1g-dev;
#   libgcc_eh.a stands in for libgcc_s). The linker finds `-lNAME` as libNAME.so first in
#   the first directory that has either; .build/dist-link/ holds, for each such library, a
#   libNAME.so that is a one-line linker script, INPUT(/path/libNAME.a), and comes first
#   because SwiftPM passes the -L of a system library's pkg-config file to the compiler
#   driver ahead of the system directories: make dist points PKG_CONFIG_PATH at a copy of
#   yaml-0.1.pc whose Libs name that directory. (Compile commands are unchanged: only the
#   link differs from a plain `swift build -c release --static-swift-stdlib`.)
# - The binary is stripped, and refused if `ldd` lists anything but the C library.
#
# SWIFT_BUILD_FLAGS (e.g. "--scratch-path .build-release") is passed to swift build.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a extra <<<"${SWIFT_BUILD_FLAGS:-}"
flags=(-c release --static-swift-stdlib --product secretsmith "${extra[@]}")
compiler="${CC:-$(command -v clang || command -v cc)}"

link_dir="$PWD/.build/dist-link"
mkdir -p "$link_dir/pkgconfig"

# Writes $1 only when its content changes, so an unchanged setup does not relink.
write_if_changed() {
    local target="$1" content="$2"
    if [[ ! -f "$target" ]] || [[ "$(cat "$target")" != "$content" ]]; then
        printf '%s\n' "$content" >"$target"
    fi
}

# NAME ARCHIVE: link libNAME statically from ARCHIVE (a file name the compiler finds).
static_library() {
    local name="$1" archive
    archive="$("$compiler" -print-file-name="$2" 2>/dev/null || true)"
    if [[ "$archive" == /* && -f "$archive" ]]; then
        write_if_changed "$link_dir/lib$name.so" "INPUT($(readlink -f "$archive"))"
    else
        echo "dist: $2 not found: lib$name stays a shared library (ldd will list it)" >&2
        rm -f "$link_dir/lib$name.so"
    fi
}
static_library yaml libyaml.a
static_library stdc++ libstdc++.a
static_library z libz.a
static_library gcc_s libgcc_eh.a

# yaml-0.1.pc as the system has it, with Libs pointing at the linker scripts first.
system_pc="$(pkg-config --path yaml-0.1)"
write_if_changed "$link_dir/pkgconfig/yaml-0.1.pc" \
    "$(sed -e "s|^Libs:.*|Libs: -L$link_dir -lyaml|" "$system_pc")"

export PKG_CONFIG_PATH="$link_dir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
swift build "${flags[@]}"
binary="$(swift build "${flags[@]}" --show-bin-path)/secretsmith"

mkdir -p dist
strip --strip-all -o dist/secretsmith.tmp "$binary"
chmod 0755 dist/secretsmith.tmp
mv dist/secretsmith.tmp dist/secretsmith
(cd dist && sha256sum secretsmith >secretsmith.sha256)

# Only the C library may remain: libc, libm, the dynamic loader (and glibc's older split
# parts, which some systems still list).
unexpected="$(ldd dist/secretsmith | awk '{print $1}' \
    | grep -vE '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|lib(c|m|pthread|dl|rt|util)\.so\.[0-9]+)$' || true)"
if [[ -n "$unexpected" ]]; then
    echo "dist: dist/secretsmith still needs shared libraries beyond the C library:" >&2
    ldd dist/secretsmith >&2
    rm -f dist/secretsmith dist/secretsmith.sha256
    exit 1
fi
echo "dist/secretsmith: $(stat -c %s dist/secretsmith) bytes, sha256 $(cut -d' ' -f1 dist/secretsmith.sha256)"
ldd dist/secretsmith
