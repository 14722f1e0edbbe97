# Fuzzing synsim's TCP with libFuzzer (tests/fuzz/README.md).  Included by
# the top-level Makefile, which defines CFLAGS_BASE, SRCS and PYTHON.
#
#   make fuzz-build                  build/fuzz/fuzz_tcp (clang; installed if missing)
#   make fuzz [FUZZ_SECONDS=600]     fuzz on build/fuzz/corpus, a copy of the seeds
#   make fuzz-check                  what `make test` runs: replay every seed, then a
#                                    time-boxed fuzz (FUZZ_CHECK_SECONDS, at most 45)
#   make fuzz-coverage               line coverage of core/src/tcp by build/fuzz/corpus
#   make fuzz-corpus                 regenerate tests/fuzz/corpus from make_corpus.py

FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_BIN := $(FUZZ_DIR)/fuzz_tcp
FUZZ_COV_BIN := $(FUZZ_DIR)/fuzz_tcp_cov
FUZZ_SRC := tests/fuzz/fuzz_tcp.c
FUZZ_HDRS := $(wildcard core/include/synsim/*.h core/src/*/*.h)
FUZZ_SECONDS ?= 600
FUZZ_CHECK_SECONDS ?= 40
# Extra libFuzzer flags, e.g. FUZZ_FLAGS=-jobs=2
FUZZ_FLAGS ?=
# -Werror stays with gcc's build: a clang-only warning in the core must not
# stop the fuzzer from building.
FUZZ_CFLAGS := $(filter-out -Werror,$(CFLAGS_BASE)) -g -O1 -fno-omit-frame-pointer
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Per-input timeout (s) and options common to every run.
FUZZ_RUN_FLAGS := -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz-build fuzz fuzz-check fuzz-coverage fuzz-corpus fuzz-toolchain

# clang with libFuzzer: installed with apt-get when missing (the project's
# rule: make installs what it needs).  On Debian libFuzzer comes with clang
# (libclang-rt-<version>-dev, which clang depends on); if linking
# -fsanitize=fuzzer still fails, that package is installed explicitly.
fuzz-toolchain: $(FUZZ_DIR)/.toolchain
$(FUZZ_DIR)/.toolchain:
	@mkdir -p $(FUZZ_DIR)
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  echo "fuzz: installing clang"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang >/dev/null || exit 1; \
	fi; \
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	  > $(FUZZ_DIR)/probe.c; \
	if ! $(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_DIR)/probe.c -o $(FUZZ_DIR)/probe 2>/dev/null; then \
	  v=$$($(FUZZ_CC) -dumpversion | cut -d. -f1); \
	  echo "fuzz: libFuzzer missing, installing libclang-rt-$$v-dev"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libclang-rt-$$v-dev >/dev/null || exit 1; \
	  $(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_DIR)/probe.c -o $(FUZZ_DIR)/probe || exit 1; \
	fi; \
	rm -f $(FUZZ_DIR)/probe $(FUZZ_DIR)/probe.c
	@touch $@

# The target and every core source, all with the fuzzer's instrumentation.
fuzz-build: $(FUZZ_BIN)
$(FUZZ_BIN): $(FUZZ_SRC) $(SRCS) $(FUZZ_HDRS) tests/fuzz/fuzz.mk | $(FUZZ_DIR)/.toolchain
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) $(FUZZ_SRC) $(SRCS) -lm -o $@

# A long run; the grown corpus stays in build/fuzz/corpus for the next run
# and for fuzz-coverage; crashes go to build/fuzz/artifacts/.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	@cp tests/fuzz/corpus/* $(FUZZ_DIR)/corpus/
	@echo "fuzz: $(FUZZ_SECONDS) s on $(FUZZ_DIR)/corpus ($$(ls $(FUZZ_DIR)/corpus | wc -l) inputs); log in $(FUZZ_DIR)/fuzz.log"
	@{ $(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_FLAGS) $(FUZZ_DIR)/corpus; echo $$? > $(FUZZ_DIR)/fuzz.rc; } \
	  2>&1 | tee $(FUZZ_DIR)/fuzz.log | grep -v '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\)' ; \
	rc=$$(cat $(FUZZ_DIR)/fuzz.rc); \
	awk '/stat::number_of_executed_units/ {n=$$2} /stat::average_exec_per_sec/ {r=$$2} \
	     /injected segments/ {s=$$0} \
	     END {printf "fuzz: %s executions, %s executions/s\n", n, r; if (s) print s}' $(FUZZ_DIR)/fuzz.log; \
	echo "fuzz: corpus now $$(ls $(FUZZ_DIR)/corpus | wc -l) inputs"; \
	[ "$$rc" = 0 ] || { echo "fuzz: FAILED (exit $$rc), see $(FUZZ_DIR)/fuzz.log and $(FUZZ_DIR)/artifacts/"; exit 1; }

# For `make test`: every seed replayed, then at most 45 s of fuzzing from a
# fresh copy of the seeds; fails on any crash, leak or invariant failure.
fuzz-check: $(FUZZ_BIN)
	@secs=$(FUZZ_CHECK_SECONDS); [ $$secs -le 45 ] || secs=45; \
	rm -rf $(FUZZ_DIR)/check-corpus; mkdir -p $(FUZZ_DIR)/check-corpus $(FUZZ_DIR)/artifacts; \
	cp tests/fuzz/corpus/* $(FUZZ_DIR)/check-corpus/; \
	$(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_RUN_FLAGS) tests/fuzz/corpus/* > $(FUZZ_DIR)/check-replay.log 2>&1 \
	  || { cat $(FUZZ_DIR)/check-replay.log; echo "fuzz-check: a seed of tests/fuzz/corpus fails"; exit 1; }; \
	echo "fuzz-check: $$(ls tests/fuzz/corpus | wc -l) seeds replayed, no failure"; \
	$(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_RUN_FLAGS) -max_total_time=$$secs -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
	  $(FUZZ_DIR)/check-corpus > $(FUZZ_DIR)/check.log 2>&1 \
	  || { tail -60 $(FUZZ_DIR)/check.log; echo "fuzz-check: the fuzzer found a failure (input in $(FUZZ_DIR)/artifacts/)"; exit 1; }; \
	awk '/stat::number_of_executed_units/ {n=$$2} /stat::average_exec_per_sec/ {r=$$2} \
	     END {printf "fuzz-check: %s s of fuzzing, %s executions (%s/s), no failure\n", '"$$secs"', n, r}' \
	  $(FUZZ_DIR)/check.log

# Line coverage of the tcp layer reached by build/fuzz/corpus (the grown
# corpus of `make fuzz`, or the seeds when there is none yet).
LLVM_PROFDATA ?= $(firstword $(shell command -v llvm-profdata 2>/dev/null) $(wildcard /usr/bin/llvm-profdata-*))
LLVM_COV ?= $(firstword $(shell command -v llvm-cov 2>/dev/null) $(wildcard /usr/bin/llvm-cov-*))
$(FUZZ_COV_BIN): $(FUZZ_SRC) $(SRCS) $(FUZZ_HDRS) tests/fuzz/fuzz.mk | $(FUZZ_DIR)/.toolchain
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping $(FUZZ_SRC) $(SRCS) -lm -o $@
fuzz-coverage: $(FUZZ_COV_BIN)
	@[ -n "$(LLVM_PROFDATA)" ] && [ -n "$(LLVM_COV)" ] || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); echo "fuzz: installing llvm"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq llvm >/dev/null; }
	@dir=$(FUZZ_DIR)/corpus; [ -d $$dir ] && [ -n "$$(ls $$dir)" ] || dir=tests/fuzz/corpus; \
	echo "fuzz-coverage: replaying $$dir ($$(ls $$dir | wc -l) inputs)"; \
	rm -f $(FUZZ_DIR)/cov-*.profraw; \
	LLVM_PROFILE_FILE=$(FUZZ_DIR)/cov-%p.profraw $(FUZZ_COV_BIN) -runs=0 $$dir > $(FUZZ_DIR)/cov-run.log 2>&1 \
	  || { tail -30 $(FUZZ_DIR)/cov-run.log; exit 1; }; \
	lp=$(LLVM_PROFDATA); lc=$(LLVM_COV); lp=$${lp:-llvm-profdata}; lc=$${lc:-llvm-cov}; \
	$$lp merge -sparse $(FUZZ_DIR)/cov-*.profraw -o $(FUZZ_DIR)/cov.profdata && \
	$$lc report $(FUZZ_COV_BIN) -instr-profile=$(FUZZ_DIR)/cov.profdata core/src/tcp/*.c | tee $(FUZZ_DIR)/coverage.txt

fuzz-corpus:
	$(PYTHON) tests/fuzz/make_corpus.py
