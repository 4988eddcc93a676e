#!/usr/bin/env bash
# Installs the Debian packages ward's build, tests and benchmarks need.
# Idempotent: does nothing when everything is present.
# help2man makes the man pages from `ward CMD --help` at build time; groff-base
# and man-db render them and bash-completion loads the completion (tests/install).
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
	protobuf-c-compiler libprotobuf-c-dev libdw-dev libdeflate-dev elfutils gdb
	libzmq3-dev libnng-dev
	lttng-tools liblttng-ust-dev babeltrace2 python3 python3-psutil procps
	libgrpc-dev protobuf-compiler python3-grpcio python3-protobuf
	help2man groff-base man-db bash-completion
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
