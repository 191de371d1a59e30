# libkusto: C library, C tests and the whole test suite.
#   make            libkusto.so, libkusto.a, kusto.pc in build/
#   make format     rewrite the C sources in the style .clang-format writes down (make lint checks it first)
#   make check-abi  the exported symbols are kusto.h's; kusto.h compiles as C89 and C++11
#   make check-c    C unit tests; make check-asan (ASan+UBSan), make check-valgrind
#   make check-posix  the same built as plain POSIX (macOS, the BSDs): no _GNU_SOURCE, platform.c's fallbacks
#   make check-e2e  C tests against a running emulator (./dev.sh test starts one)
#   make install    PREFIX=/usr/local: library, kusto.h, the CLI, kusto.pc, lib/cmake/kusto (find_package)
PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PKGS := libcurl libcjson openssl
DEPS_CFLAGS := $(shell pkg-config --cflags $(PKGS))
DEPS_LIBS := $(shell pkg-config --libs $(PKGS)) -lpthread
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
FEATURES ?= -D_GNU_SOURCE
ALL_CFLAGS := -std=c11 $(FEATURES) $(WARN) $(CFLAGS) -fPIC -Icore/include -Icore/src $(DEPS_CFLAGS)

SRC := $(sort $(wildcard core/src/*.c core/src/flows/*.c))
OBJ := $(SRC:%.c=$(BUILD)/%.o)
TESTS := $(sort $(wildcard tests/c/test_*.c))
TEST_BINS := $(TESTS:tests/c/%.c=$(BUILD)/tests/%)
PYTHON ?= python3
CMAKE_FILES := $(BUILD)/cmake/kustoConfig.cmake $(BUILD)/cmake/kustoConfigVersion.cmake
VERSION := $(shell sed -n 's/^#define KUSTO_VERSION "\(.*\)"/\1/p' core/include/kusto.h)

.PHONY: all lib format check-format lint check-abi check-c check-posix check-asan check-valgrind check-e2e check-tsan fuzz bench-parse install clean
all: lib $(BUILD)/kusto.pc $(BUILD)/kusto $(CMAKE_FILES)
lib: $(BUILD)/libkusto.so $(BUILD)/libkusto.a

# Each object and test lists the headers it includes (-MMD: a .d file beside it; -MP: a removed header is no error).
# The Makefile is a prerequisite too: its flags change what is built, and builds from before the .d files catch up.
DEPFLAGS := -MMD -MP
-include $(OBJ:.o=.d) $(TEST_BINS:=.d) $(wildcard $(BUILD)/tests/e2e_*.d)

# Hidden by default: libkusto.so exports only what kusto.h marks KUSTO_EXTERN (make check-abi).
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -fvisibility=hidden -c $< -o $@

$(BUILD)/libkusto.a: $(OBJ)
	rm -f $@ && ar rcs $@ $^   # afresh: a renamed source must not leave its old object inside

$(BUILD)/libkusto.so: $(OBJ)
	$(CC) -shared -Wl,-soname,libkusto.so.0 $(ALL_CFLAGS) $^ -o $@ $(DEPS_LIBS)

# The command-line tool, on the public API only.
# Its prompt edits lines with GNU readline (Debian libreadline-dev) when the header is there, else reads plain lines.
CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_READLINE := $(shell printf '\043include <stdio.h>\n\043include <readline/readline.h>\n' | \
  $(CC) -E -x c - >/dev/null 2>&1 && echo -DHAVE_READLINE -lreadline)
$(BUILD)/kusto: $(CLI_SRC) cli/cli.h core/include/kusto.h $(BUILD)/libkusto.a
	$(CC) $(ALL_CFLAGS) $(CLI_SRC) $(BUILD)/libkusto.a -o $@ $(DEPS_LIBS) -lm $(CLI_READLINE)

# Remade every time: it holds PREFIX, which differs between `make` and `make install PREFIX=...`. Outside the
# directories the dynamic loader searches, programs linked through it carry the rpath to find libkusto.so.
SYSTEM_PREFIXES := /usr /usr/local
RPATH := $(if $(filter $(SYSTEM_PREFIXES),$(PREFIX)),,-Wl,-rpath,$${libdir} )
.PHONY: $(BUILD)/kusto.pc
$(BUILD)/kusto.pc: kusto.pc.in core/include/kusto.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@PKGS@|$(PKGS)|' -e 's|@RPATH@|$(RPATH)|' $< > $@

# find_package(kusto): relocatable (no PREFIX inside), so made once.
$(BUILD)/cmake/%.cmake: cmake/%.cmake.in core/include/kusto.h
	@mkdir -p $(dir $@)
	sed -e 's|@VERSION@|$(VERSION)|g' $< > $@

$(BUILD)/tests/%: tests/c/%.c $(BUILD)/libkusto.a Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/c $< $(BUILD)/libkusto.a -o $@ $(DEPS_LIBS)

# The C sources in the style .clang-format writes down (bindings/lua/.clang-format adds the Lua module's), all but
# the generated endpoints_data.c. Written for Debian's clang-format 14: another version may place a few tokens
# otherwise, so the check names the version it ran.
CLANG_FORMAT ?= clang-format
FORMAT_SRC := $(filter-out core/src/endpoints_data.c,$(sort $(wildcard core/include/*.h core/src/*.[ch] \
  core/src/flows/*.[ch] cli/*.[ch] bindings/python/src/*.[ch] bindings/lua/*.[ch] tests/c/*.[ch] fuzz/*.c bench/*.c \
  examples/*.c)))

format:
	@$(CLANG_FORMAT) -i $(FORMAT_SRC)

check-format:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "lint: no $(CLANG_FORMAT) (Debian: apt-get install clang-format)"; exit 1; }
	@differ=$$(for f in $(FORMAT_SRC); do $(CLANG_FORMAT) "$$f" | cmp -s "$$f" - || echo "$$f"; done); \
	if [ -n "$$differ" ]; then \
	  echo "lint: these files differ from the style of .clang-format ($$($(CLANG_FORMAT) --version)):"; \
	  printf '  %s\n' $$differ; echo "lint: run 'make format' to rewrite them, then look at 'git diff'"; exit 1; fi

# The format first, then every recipe of the C sources built with the one set of warnings (WARN) as errors: this
# Makefile's library and CLI, setup.py's extension and the Lua module, each in its own directory under build/lint;
# then the generated data checked against its source.
LINT := $(BUILD)/lint
LINT_CFLAGS := -O1 -Werror $(WARN)
lint:
	@echo "lint: the format (.clang-format)"
	@$(MAKE) -s --no-print-directory check-format
	@mkdir -p $(LINT)
	@echo "lint: Makefile (library, CLI)"
	@$(MAKE) -s --no-print-directory BUILD=$(LINT)/make CFLAGS="-O1 -Werror" lib $(LINT)/make/kusto
	@echo "lint: setup.py (the Python extension)"
	@CFLAGS="$(LINT_CFLAGS)" $(PYTHON) setup.py -q build_ext --parallel 2 --build-temp $(LINT)/python/temp \
	  --build-lib $(LINT)/python/lib >$(LINT)/python.log 2>&1 || { cat $(LINT)/python.log; exit 1; }
	@echo "lint: bindings/lua/Makefile (the Lua module)"
	@$(MAKE) -s --no-print-directory -f bindings/lua/Makefile OBJDIR=$(abspath $(LINT))/lua/lua5.4 \
	  CFLAGS="-fPIC $(LINT_CFLAGS)"
	@echo "lint: generated data"
	@$(PYTHON) tools/embed_json.py --check

# C unit tests, run from the top so they find tests/fixtures and core/data.
check-c: $(TEST_BINS)
	@$(PYTHON) tests/c/run.py $(TEST_BINS)

# The stable ABI: libkusto.so exports exactly kusto.h's functions; kusto.h compiles as C89 -pedantic and C++11.
check-abi: $(BUILD)/libkusto.so
	@$(PYTHON) tests/c/check_abi.py $(BUILD)/libkusto.so $(CC) $(CXX)

check-asan:
	$(MAKE) --no-print-directory BUILD=build/asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all" check-c

# Only what POSIX.1-2008 declares (no _GNU_SOURCE), platform.c's portable sequences instead of Linux's one-call
# forms, any warning an error: the library, the CLI, and the unit tests run on that build.
check-posix:
	$(MAKE) --no-print-directory BUILD=build/posix FEATURES="-D_POSIX_C_SOURCE=200809L -DKUSTO_PORTABLE_FALLBACKS" \
	  CFLAGS="-O1 -g -Werror" lib build/posix/kusto check-c

check-valgrind: $(TEST_BINS)
	@$(PYTHON) tests/c/run.py --valgrind $(TEST_BINS)

# The C library against a running emulator (KUSTO_EMULATOR_CONFIG / KUSTO_EMULATOR_LOG; see dev.sh).
check-e2e: $(BUILD)/tests/e2e_client $(BUILD)/tests/e2e_env_signin $(BUILD)/tests/e2e_threads \
  $(BUILD)/tests/e2e_signin_flows $(BUILD)/tests/e2e_parse_thread $(BUILD)/tests/e2e_deadline $(BUILD)/tests/e2e_arrow \
  $(BUILD)/tests/e2e_op
	@$(PYTHON) tests/c/run.py $^

# The C unit tests and 8 threads sharing one client (against the emulator) under ThreadSanitizer.
check-tsan:
	$(MAKE) --no-print-directory BUILD=build/tsan CFLAGS="-O1 -g -fsanitize=thread" \
	  build/tsan/tests/e2e_threads build/tsan/tests/e2e_parse_thread $(TEST_BINS:$(BUILD)/%=build/tsan/%) \
	  build/tsan/tests/e2e_arrow
	@TSAN_OPTIONS="halt_on_error=1" \
	  $(PYTHON) tests/c/run.py build/tsan/tests/e2e_threads build/tsan/tests/e2e_parse_thread $(TEST_BINS:$(BUILD)/%=build/tsan/%) \
	  build/tsan/tests/e2e_arrow

# libFuzzer targets (clang): FUZZ_SECONDS each, seeded from fuzz/seeds (dictionary: fuzz/<target>.dict); new inputs
# go to build/fuzz/corpus, crashes to build/fuzz/crash-*. Longer: make fuzz FUZZ_SECONDS=3600.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := connstr frames token_response urls numbers cache http1
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Icore/include -Icore/src $(DEPS_CFLAGS)
build/fuzz/fuzz_%: fuzz/fuzz_%.c $(SRC) core/include/kusto.h $(wildcard core/src/*.h core/src/flows/*.h)
	@mkdir -p build/fuzz
	clang $(FUZZ_FLAGS) $< $(SRC) -o $@ $(DEPS_LIBS)

fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; seeds=fuzz/seeds/$$t; dict=; \
	  [ -f fuzz/$$t.dict ] && dict=-dict=fuzz/$$t.dict; \
	  echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build/fuzz/ $$dict \
	    -print_final_stats=1 build/fuzz/corpus/$$t $$seeds 2>build/fuzz/$$t.log || \
	    { tail -40 build/fuzz/$$t.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units" build/fuzz/$$t.log; \
	done

# The response parser's speed (not a test): BENCH_ROWS rows of bench/gen.py from memory in 16 KiB chunks,
# and over loopback from bench/server.py.
BENCH_ROWS ?= 1000000
$(BUILD)/parse_bench: bench/parse_bench.c core/include/kusto.h $(BUILD)/libkusto.a
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libkusto.a -o $@ $(DEPS_LIBS)

# The floor of a Lua columnar result (bench/run.py's "Lua arrays of the same cells"): a module for lua5.4, left
# unlinked so that it uses the interpreter's own Lua.
$(BUILD)/lua_floor.so: bench/lua_floor.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -fPIC -shared $$(pkg-config --cflags lua5.4) $< -o $@

$(BUILD)/bench/$(BENCH_ROWS).fragmented.json: bench/gen.py
	@mkdir -p $(dir $@)
	$(PYTHON) bench/gen.py $(BENCH_ROWS) > $@.tmp && mv $@.tmp $@

bench-parse: $(BUILD)/parse_bench $(BUILD)/bench/$(BENCH_ROWS).fragmented.json
	@$(PYTHON) -c 'import subprocess,sys,json; s=subprocess.Popen([sys.executable,"bench/server.py","$(BUILD)/bench"],stdout=subprocess.PIPE); port=json.loads(s.stdout.readline())["port"]; r=subprocess.call(["$(BUILD)/parse_bench","$(BUILD)/bench/$(BENCH_ROWS).fragmented.json","5",str(port),"$(BENCH_ROWS)"]); s.kill(); sys.exit(r)'

# Into a system prefix as root, ldconfig: the loader's cache must learn the new soname before programs find it.
install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/kusto $(DESTDIR)$(PREFIX)/bin/
	install -m 644 core/include/kusto.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libkusto.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libkusto.so $(DESTDIR)$(PREFIX)/lib/libkusto.so.$(VERSION)
	ln -sf libkusto.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libkusto.so.0
	ln -sf libkusto.so.0 $(DESTDIR)$(PREFIX)/lib/libkusto.so
	install -m 644 $(BUILD)/kusto.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -d $(DESTDIR)$(PREFIX)/lib/cmake/kusto
	install -m 644 $(CMAKE_FILES) $(DESTDIR)$(PREFIX)/lib/cmake/kusto/
	@if [ -z "$(DESTDIR)" ] && [ -n "$(filter $(SYSTEM_PREFIXES),$(PREFIX))" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

clean:
	rm -rf build
