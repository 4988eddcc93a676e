#!/bin/sh
# The example project of docs/project.md built with pkg-config instead of
# CMake: build-with-pkg-config.sh OUTDIR (PKG_CONFIG_PATH set for a ward
# installed elsewhere than /usr or /usr/local).
set -eu
here=$(dirname "$0")
out=$1
mkdir -p "$out"
protoc-c --c_out="$out" -I"$here" -I"$(pkg-config --variable=protodir ward)" "$here/greet.proto"
# shellcheck disable=SC2046
cc -o "$out/greet" -I"$out" $(pkg-config --cflags ward) "$here/greet.c" "$out/greet.pb-c.c" \
	$(pkg-config --libs ward)
# shellcheck disable=SC2046
cc -o "$out/whois" $(pkg-config --cflags ward-inspect) "$here/whois.c" \
	$(pkg-config --libs ward-inspect)
