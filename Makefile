# The commands the README names. Everything real lives in CMake; this file only
# sequences set-up, builds and runs.
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
CTEST_FLAGS ?= --output-on-failure -j$(JOBS)
FUZZ_SECONDS ?= 20

.PHONY: all deps build install package demo test test-normal test-asan test-tsan format-check fuzz fuzz-long bench clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DWARD_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# make install PREFIX=/opt/ward (default /usr/local)
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# make package: a Debian package (build/ward_<version>_<arch>.deb) for dpkg -i
package: build
	cd $(BUILD) && cpack -G DEB

# make demo: builds what ward-demo runs (not the tests and benchmarks), then runs it
demo: deps
	cmake -S . -B $(BUILD) -DWARD_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target ward-demo
	$(BUILD)/bin/ward-demo

test: deps format-check test-normal test-asan test-tsan fuzz
	@echo "make test: all suites passed"

test-normal: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DWARD_WERROR=ON -DWARD_SANITIZE=ON -DWARD_BENCH=OFF \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS)

# TSan: the loop (the part made for threads) and every test that starts threads.
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DWARD_WERROR=ON -DWARD_TSAN=ON -DWARD_BENCH=OFF \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest $(CTEST_FLAGS) -L "loop|threads"

format-check:
	@files=$$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*'); \
	if [ -n "$$files" ]; then clang-format --dry-run --Werror $$files; fi
	@echo "format-check: ok"

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DWARD_FUZZ=ON -DWARD_BENCH=OFF >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	bash scripts/run-fuzz.sh $(FUZZ_BUILD)/bin $(FUZZ_SECONDS)

# Long fuzzing that grows the checked-in corpora (fuzz/corpus/NAME, minimized):
# make fuzz-long FUZZ_LONG_SECONDS=600 [FUZZERS="fuzz-ring fuzz-trace-file"], then commit them.
FUZZ_LONG_SECONDS ?= 300
fuzz-long: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DWARD_FUZZ=ON -DWARD_BENCH=OFF >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	bash scripts/fuzz-long.sh $(FUZZ_BUILD)/bin $(FUZZ_LONG_SECONDS) $(FUZZERS)

bench: build
	$(BUILD)/bin/ward bench ipc

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
