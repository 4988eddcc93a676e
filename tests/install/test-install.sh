#!/usr/bin/env bash
# The installed package, used as a user would: `cmake --install` into a
# temporary prefix, then the example Calculator service, its client, a
# loadable plugin and a small libward-inspect tool built out of tree against
# it, once with pkg-config and once with find_package(ward), and run: the
# client calls the server, the installed `ward serve` hosts the plugin (and
# maps no libdw), the tool scans the server. Then the example project of
# docs/project.md (examples/project) the same two ways, and the man pages and
# bash completion: installed, rendering, completing the installed ward.
#   test-install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
calc=$src/examples/calc
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "test-install: $*" >&2
	exit 1
}

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name libward.so.0 | head -1)")
[ -n "$libdir" ] || fail "no libward.so.0 installed"
[ -z "$(readelf -d "$libdir/libward.so.0" | grep -E 'libdw|libelf')" ] ||
	fail "libward.so needs libdw/libelf"
readelf -d "$prefix/bin/ward" | grep -q 'RUNPATH.*\$ORIGIN' || fail "ward has no relative RUNPATH"
readelf -d "$prefix/bin/ward" | grep -q "$build" && fail "ward's RUNPATH names the build tree"

# call_until ADDRESS: the client, retried until the server answers
call_until() {
	local client=$1 address=$2 out
	for _ in $(seq 1 100); do
		if out=$("$client" "$address" 20 22 2>/dev/null); then
			echo "$out"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# expect_sum OUTPUT
expect_sum() {
	grep -q '^20 + 22 = 42$' <<<"$1" || fail "unexpected client output: $1"
}

# 1. pkg-config, by hand
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc=$tmp/pc
mkdir -p "$pc"
protoc-c --c_out="$pc" -I"$calc" -I"$(pkg-config --variable=protodir ward)" "$calc/calc.proto"
cflags=$(pkg-config --cflags ward)
libs=$(pkg-config --libs ward)
# shellcheck disable=SC2086
cc -o "$pc/calc-server" -I"$pc" -I"$calc" $cflags "$calc/calc-server.c" "$calc/calc-service.c" \
	"$pc/calc.pb-c.c" $libs -Wl,-rpath,"$libdir"
# shellcheck disable=SC2086
cc -o "$pc/calc-client" -I"$pc" $cflags "$calc/calc-client.c" "$pc/calc.pb-c.c" $libs \
	-Wl,-rpath,"$libdir"
# shellcheck disable=SC2086
cc -o "$pc/count-threads" $(pkg-config --cflags ward-inspect) \
	"$src/tests/install/project/count-threads.c" $(pkg-config --libs ward-inspect) \
	-Wl,-rpath,"$libdir"
address=@ward-install-test-$$-pc
"$pc/calc-server" "$address" >/dev/null &
pids+=($!)
expect_sum "$(call_until "$pc/calc-client" "$address")"
"$pc/count-threads" "${pids[-1]}" | grep -q '^threads [1-9][0-9]* deadlock no$' ||
	fail "count-threads (pkg-config) did not scan the server"
echo "pkg-config build: ok"

# 2. find_package(ward)
cm=$tmp/cm
cmake -S "$src/tests/install/project" -B "$cm" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCALC_DIR="$calc" >/dev/null
cmake --build "$cm" >/dev/null
address=@ward-install-test-$$-cmake
"$cm/calc-server" "$address" >/dev/null &
pids+=($!)
expect_sum "$(call_until "$cm/calc-client" "$address")"
"$cm/count-threads" "${pids[-1]}" | grep -q '^threads [1-9]' ||
	fail "count-threads (find_package) did not scan the server"
echo "find_package build: ok"

# 3. the installed ward serve hosts the out-of-tree plugin, without libdw
address=@ward-install-test-$$-serve
"$prefix/bin/ward" serve --listen "$address" --load "$cm/libcalc.so" >/dev/null &
pids+=($!)
expect_sum "$(call_until "$cm/calc-client" "$address")"
maps=/proc/${pids[-1]}/maps
grep -q 'libward.so' "$maps" || fail "ward serve does not map libward"
grep -qE 'libdw|libelf|libward-inspect' "$maps" && fail "ward serve maps the inspector's libraries"
echo "installed ward serve: ok"

# 4. with --grpc, the installed ward serve loads the installed libward-grpc
# (found through its RUNPATH), and only then maps libgrpc
if [ -e "$libdir/libward-grpc.so.0" ]; then
	[ -z "$(readelf -d "$libdir/libward.so.0" | grep -E 'libgrpc')" ] || fail "libward.so needs libgrpc"
	grep -q 'libgrpc' "$maps" && fail "ward serve without --grpc maps libgrpc"
	out=$tmp/serve-grpc.out
	"$prefix/bin/ward" serve --listen "$address-grpc" --load "$cm/libcalc.so" \
		--grpc 127.0.0.1:0 >"$out" &
	pids+=($!)
	for _ in $(seq 1 100); do grep -q 'librar' "$out" && break; sleep 0.1; done
	grep -q 'gRPC (plaintext) on port [1-9]' "$out" || fail "ward serve --grpc did not start"
	grep -q "$libdir/libward-grpc.so" "/proc/${pids[-1]}/maps" ||
		fail "ward serve --grpc did not load the installed libward-grpc"
	"$prefix/bin/ward" gateway --help | grep -Eq -- '--to[= ]ADDRESS' || fail "no installed ward gateway"
	echo "installed ward serve --grpc: ok"
fi

# 5. the example project of docs/project.md, both ways
greet=$tmp/greet-cmake
cmake -S "$src/examples/project" -B "$greet" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$greet" >/dev/null
[ "$("$greet/greet" you)" = "hello, you" ] || fail "examples/project (find_package): greet"
"$greet/whois" $$ | grep -q "^$$ " || fail "examples/project (find_package): whois"
sh "$src/examples/project/build-with-pkg-config.sh" "$tmp/greet-pc" >/dev/null
[ "$(LD_LIBRARY_PATH=$libdir "$tmp/greet-pc/greet")" = "hello, ward" ] ||
	fail "examples/project (pkg-config): greet"
echo "examples/project: ok"

# 6. the man pages (made from --help by man/ward-man.sh) and the bash
# completion are installed, every page renders without a warning, and the
# installed completion completes the installed ward
man1=$prefix/share/man/man1
pages=(ward ward-ps)
[ -d "$build/share/man/man1" ] || pages=() # configured with -DWARD_MAN=OFF
for page in "${pages[@]}"; do
	[ -s "$man1/$page.1" ] || fail "no $page.1 installed"
	out=$(MANWIDTH=80 man -l "$man1/$page.1" 2>"$tmp/man.err") || fail "man -l $page.1 failed"
	[ ! -s "$tmp/man.err" ] || fail "man -l $page.1: $(cat "$tmp/man.err")"
	grep -q '^SYNOPSIS' <<<"$out" || fail "$page.1 has no SYNOPSIS"
	grep -q '^EXIT STATUS' <<<"$out" || fail "$page.1 has no EXIT STATUS"
done
grep -q '^ward-ps - ' <<<"$(MANWIDTH=80 man -l "$man1/ward-ps.1" | sed -n '/^NAME/{n;s/^ *//;p}')" ||
	fail "ward-ps.1 is not named ward-ps"
for built in "$build"/share/man/man1/ward*.1; do
	[ -e "$built" ] || continue
	page=$(basename "$built")
	cmp -s "$built" "$man1/$page" || fail "$page is not installed"
	# -Wbreak: "cannot adjust line" is how a long token looks, not an error
	groff -man -Tutf8 -z -Wbreak "$man1/$page" 2>"$tmp/groff.err" || fail "groff fails on $page"
	[ ! -s "$tmp/groff.err" ] || fail "groff warns on $page: $(head -3 "$tmp/groff.err")"
done
completion=$prefix/share/bash-completion/completions/ward
[ -s "$completion" ] || fail "no bash completion installed"
rc=0
bash "$src/tests/install/test-completion.sh" "$prefix/bin/ward" "$completion" >"$tmp/compl.out" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] ||
	fail "the installed completion does not complete the installed ward: $(cat "$tmp/compl.out")"
# a Debian package built here (make package) carries them too; one older
# than this build's pages is of an earlier tree, not judged
for deb in "$build"/ward_*.deb; do
	[ -e "$deb" ] || continue
	[ "$deb" -nt "$build/share/man/man1/ward.1" ] || continue
	contents=$(dpkg-deb -c "$deb")
	grep -q 'usr/share/man/man1/ward-ps.1$' <<<"$contents" || fail "$deb has no man pages"
	grep -q 'usr/share/bash-completion/completions/ward$' <<<"$contents" ||
		fail "$deb has no bash completion"
done
echo "man pages and completion: ok"
