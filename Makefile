# synsim build.  `make test` and `make demo` set up everything they need.
CC ?= gcc
CFLAGS_BASE := -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Icore/include -Icore/src
CFLAGS ?= -O2 -g
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python

# One folder per layer (sim <- net <- tcp <- app); see docs/architecture.md.
LAYERS := sim net tcp app
SRCS := $(foreach l,$(LAYERS),$(wildcard core/src/$(l)/*.c))
OBJS := $(patsubst core/src/%.c,build/obj/%.o,$(SRCS))
PIC_OBJS := $(patsubst core/src/%.c,build/pic/%.o,$(SRCS))
ASAN_OBJS := $(patsubst core/src/%.c,build/asan/%.o,$(SRCS))
HDRS := $(wildcard core/include/synsim/*.h core/src/*/*.h)
TEST_SRCS := $(foreach l,$(LAYERS),$(wildcard tests/c/$(l)/test_*.c))
TEST_HDRS := $(wildcard tests/c/*.h tests/c/*/*.h) tests/c/testing.c
# float-cast-overflow: gcc leaves it out of "undefined" (clang has it in).
SANITIZE := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all lib test test-c test-c-asan test-python check-layers valgrind bench demo deps venv clean

all: lib
lib: build/libsynsim.a build/libsynsim.so

build/obj/%.o: core/src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -c $< -o $@
build/pic/%.o: core/src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -fPIC -c $< -o $@
build/asan/%.o: core/src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O1 -g $(SANITIZE) -c $< -o $@

build/libsynsim.a: $(OBJS)
	ar rcs $@ $^
build/libsynsim.so: $(PIC_OBJS)
	$(CC) -shared -o $@ $^ -lm
build/libsynsim-asan.a: $(ASAN_OBJS)
	ar rcs $@ $^

# ---- set-up: Debian packages and the virtual environment -------------
# Debian packages the tests need: CUnit, valgrind for the leak run, and
# tshark to check captures the way Wireshark reads them.
deps: build/.deps
build/.deps:
	@mkdir -p build
	@missing=""; \
	[ -f /usr/include/CUnit/Basic.h ] || missing="$$missing libcunit1-dev"; \
	command -v valgrind >/dev/null 2>&1 || missing="$$missing valgrind"; \
	command -v tshark >/dev/null 2>&1 || missing="$$missing tshark"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: setup.py pyproject.toml bindings/synsim.i $(SRCS) $(HDRS) $(wildcard bindings/python/synsim/*.py)
	@[ -x $(VPY) ] || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q ".[test]"
	@touch $@

# ---- tests ------------------------------------------------------------
build/tests/%: tests/c/%.c $(TEST_HDRS) $(HDRS) build/libsynsim.a | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -Itests/c $< tests/c/testing.c build/libsynsim.a -lcunit -lm -o $@
build/tests-asan/%: tests/c/%.c $(TEST_HDRS) $(HDRS) build/libsynsim-asan.a | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O1 -g $(SANITIZE) -Itests/c $< tests/c/testing.c build/libsynsim-asan.a -lcunit -lm -o $@

TESTS := $(patsubst tests/c/%.c,build/tests/%,$(TEST_SRCS))
TESTS_ASAN := $(patsubst tests/c/%.c,build/tests-asan/%,$(TEST_SRCS))

test-c: $(TESTS)
	@tests/c/run_suites.sh $(TESTS)
test-c-asan: $(TESTS_ASAN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/c/run_suites.sh $(TESTS_ASAN)
test-python: venv
	$(VPY) -m pytest -q tests/python
# Every C suite under valgrind (the large randomized tests shortened).
valgrind: $(TESTS)
	@for t in $(TESTS); do \
	  SYNSIM_QUICK=1 valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
	    --error-exitcode=1 $$t >/dev/null 2>build/valgrind.log || { cat build/valgrind.log; echo "valgrind: $$t failed"; exit 1; }; \
	done; echo "valgrind: $(words $(TESTS)) suites, no errors, no leaks"

# Builds everything it needs, runs the C suites plain, under ASan+UBSan and
# under valgrind, replays the fuzz corpus and fuzzes for under a minute,
# then pytest; fails if anything fails.
# Fails on an #include that points up the layers or closes a cycle.
check-layers:
	@$(PYTHON) tests/check_layers.py .

test: deps
	@echo "== layers =="; $(MAKE) --no-print-directory check-layers
	@echo "== C suites =="; $(MAKE) --no-print-directory test-c
	@echo "== C suites, AddressSanitizer + UndefinedBehaviorSanitizer =="; $(MAKE) --no-print-directory test-c-asan
	@echo "== C suites, valgrind =="; $(MAKE) --no-print-directory valgrind
	@echo "== fuzzing: the seed corpus replayed, then a short run =="; $(MAKE) --no-print-directory fuzz-check
	@echo "== Python =="; $(MAKE) --no-print-directory test-python

# libFuzzer target and its targets (fuzz, fuzz-check, fuzz-coverage, ...).
include tests/fuzz/fuzz.mk

# ---- the extension under ASan + UBSan, for random Python scripts ------
# build/asan-py is the package with an _core built from the same sources
# with the sanitizers of the C suites; tests/python/random_scripts.py runs
# on it with libasan preloaded (LeakSanitizer off: the interpreter keeps
# memory at exit; the scripts check the core's own allocation count).
# swig comes with the test extra of the venv.
# make test runs 200 scripts (test_random_scripts.py); make fuzz-python
# [PY_SCRIPTS=3000 PY_FIRST=0] as many as asked, and make fuzz runs it too.
ASAN_PY := build/asan-py
PY_SCRIPTS ?= 3000
PY_FIRST ?= 0
PY_INCLUDE = $(shell $(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
PY_EXT = $(shell $(VPY) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
ASAN_PY_ENV = LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) PYTHONPATH=$(ASAN_PY) \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: asan-py fuzz-python
asan-py: $(ASAN_PY)/.built
$(ASAN_PY)/.built: $(VENV)/.installed bindings/synsim.i $(SRCS) $(HDRS) $(wildcard bindings/python/synsim/*.py experiments/*.py)
	@rm -rf $(ASAN_PY) && mkdir -p $(ASAN_PY)/synsim/experiments
	@cp bindings/python/synsim/*.py $(ASAN_PY)/synsim/ && cp experiments/*.py $(ASAN_PY)/synsim/experiments/
	$(VENV)/bin/swig -python -Icore/include -outdir $(ASAN_PY)/synsim -o $(ASAN_PY)/synsim_wrap.c bindings/synsim.i
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -Icore/include -Icore/src -I$(PY_INCLUDE) -O1 -g $(SANITIZE) \
	  -fPIC -shared $(ASAN_PY)/synsim_wrap.c $(SRCS) -lm -o $(ASAN_PY)/synsim/_core$(PY_EXT)
	@touch $@
fuzz-python: $(ASAN_PY)/.built
	@$(ASAN_PY_ENV) $(VPY) tests/python/random_scripts.py $(PY_FIRST) $(PY_SCRIPTS)
fuzz: fuzz-python

# ---- benchmarks and demo ----------------------------------------------
build/bench/%: bench/%.c build/libsynsim.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 -g $< build/libsynsim.a -lm -o $@
bench: build/bench/bench_events build/bench/bench_tcp build/bench/bench_scale
	build/bench/bench_events
	@echo
	build/bench/bench_tcp
	@echo
	build/bench/bench_scale

# The headline experiments, quick versions, into results/ (a few seconds
# each), after the handshake timeline.
demo: venv
	$(VPY) experiments/demo_handshake.py
	$(VPY) -m synsim run all --quick --out results

clean:
	rm -rf build *.egg-info bindings/python/synsim/_core*.so bindings/python/synsim/core.py bindings/synsim_wrap.c
