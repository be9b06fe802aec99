# fusekey front door. Everything real lives in meson.build; this file only
# installs what is missing (Debian 12) and calls meson/ninja.
#
#   make demo    build, then the key hand-over (seal, derive) and its refusals, emulated
#   make test    build and run every test (unit, vectors, CLI end-to-end)
#   make asan    the same suite under AddressSanitizer + UBSan (no recovery)
#   make clang   the same suite built with clang
#   make bench   release build, then the benchmarks (informational, no thresholds)
#   make fuzz    libFuzzer (clang + ASan/UBSan) on each target for FUZZ_SECONDS (default 60)
#   make deps    install the Debian packages the build needs (root) or print the command

BUILD       ?= build
ASAN_BUILD  ?= build-asan
CLANG_BUILD ?= build-clang
BENCH_BUILD ?= build-release
FUZZ_BUILD  ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := unseal sigstruct key_request dh ttrpc policy keyservice
MESON       ?= meson

DEB_PACKAGES := meson ninja-build pkg-config gcc clang libssl-dev libjansson-dev \
                libcmocka-dev python3 libclang-rt-14-dev libprotobuf-c-dev protobuf-c-compiler \
                golang-go golang-github-containerd-ttrpc-dev valgrind

.PHONY: all deps build demo test asan clang bench fuzz clean help

all: build

help:
	@sed -n '3,10p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/deps.sh $(DEB_PACKAGES)

$(BUILD)/build.ninja: | deps
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	scripts/demo.sh $(BUILD)/tools/fusekey

test: build
	scripts/run-tests.sh $(BUILD)

$(ASAN_BUILD)/build.ninja: | deps
	$(MESON) setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all

asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		scripts/run-tests.sh $(ASAN_BUILD)

# DWARF 4: clang 14 writes DWARF 5 by default, which Debian 12's valgrind 3.19
# cannot read (the daemon's valgrind test runs in this build too).
$(CLANG_BUILD)/build.ninja: | deps
	CC=clang $(MESON) setup $(CLANG_BUILD) --buildtype=debugoptimized -Dc_args=-gdwarf-4

clang: $(CLANG_BUILD)/build.ninja
	ninja -C $(CLANG_BUILD)
	scripts/run-tests.sh $(CLANG_BUILD)

$(BENCH_BUILD)/build.ninja: | deps
	$(MESON) setup $(BENCH_BUILD) --buildtype=release -Dtests=false

# fusekey_bench: the library's operations; fusekey_la_bench: the key service
# end to end (a real fusekeyd, the ttrpc echo beside the Go server). Both take
# --quick, --json and --runs N.
bench: $(BENCH_BUILD)/build.ninja
	ninja -C $(BENCH_BUILD)
	$(BENCH_BUILD)/bench/fusekey_bench $(BENCH_ARGS)
	$(BENCH_BUILD)/bench/fusekey_la_bench $(BENCH_ARGS)

$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang $(MESON) setup $(FUZZ_BUILD) --buildtype=debugoptimized -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all

# Each target runs on a scratch copy of its seed corpus (the checked-in seeds stay as they are).
fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf $(FUZZ_BUILD)/corpus-$$t; mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZ_BUILD)/corpus-$$t tests/fuzz/corpus/$$t; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(CLANG_BUILD) $(BENCH_BUILD) $(FUZZ_BUILD)
