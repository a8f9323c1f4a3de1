# SPDX-License-Identifier: Apache-2.0
# ferry — plain Makefile. Out-of-tree builds in build/<variant>/:
#   build/release  -O2, what `make`, `make run` and `make bench` use
#   build/asan     -O1 with AddressSanitizer + UndefinedBehaviorSanitizer, what the tests use
#   build/fuzz     clang libFuzzer + ASan/UBSan, the fuzz targets of tests/fuzz (make fuzz)
# Targets: all (./ferry), run, test, check (unit), itest (integration), bench, fuzz, lint, clean.

CC      ?= gcc
PKGS    := libmicrohttpd jansson libcurl rdkafka gnutls

# libmicrohttpd is Debian's 1.0.10 source with scripts/mhd/*.patch, built by
# scripts/deps.sh into .cache/libmicrohttpd (Debian 12's 0.9.75 answers
# malformed requests itself in HTML: docs/internals/http.md). Its stamp is an
# included makefile, so a missing or outdated build is made first and make
# restarts with pkg-config finding it; binaries find it through their rpath.
MHD_PREFIX := $(CURDIR)/.cache/libmicrohttpd
MHD_STAMP  := .cache/libmicrohttpd.mk
PKG_CONFIG := PKG_CONFIG_PATH=$(MHD_PREFIX)/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH)) pkg-config
.DEFAULT_GOAL := all
ifeq ($(filter clean lint,$(MAKECMDGOALS)),)
-include $(MHD_STAMP)
endif
$(MHD_STAMP): scripts/deps.sh $(wildcard scripts/mhd/*.patch)
	@scripts/deps.sh mhd
	@echo "# libmicrohttpd: $$(cat $(MHD_PREFIX)/.stamp)" > $@
PYTHON  := .venv/bin/python

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Wno-format-nonliteral
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BASE_CFLAGS := -DFERRY_COMMIT='"$(COMMIT)"' -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -MMD -MP $(WARN) \
           $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -Wl,-rpath,$(MHD_PREFIX)/lib -lcrypt -lpthread -lm
TEST_LIBS := $(shell $(PKG_CONFIG) --libs check avro-c 2>/dev/null)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

VARIANT ?= release
ifeq ($(VARIANT),asan)
  CFLAGS_V := -O1 -g3 $(SAN_FLAGS)
  LDFLAGS_V := $(SAN_FLAGS)
else
  CFLAGS_V := -O2 -g
  LDFLAGS_V :=
endif
ifeq ($(VARIANT),fuzz)
  CC := clang
  CFLAGS_V := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
  LDFLAGS_V := -fsanitize=address,undefined
endif

B := build/$(VARIANT)
LIB_SRC  := $(sort $(wildcard common/*.c contexts/*.c registry/*.c linker/*.c mirror/*.c cmd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/*/check_*.c))
UNIT_BIN := $(UNIT_SRC:%.c=$(B)/%)
DEPS     := $(LIB_OBJ:.o=.d) $(B)/main.d $(UNIT_SRC:%.c=$(B)/%.d) $(B)/rdk_copy.d

.PHONY: all ferry run test check itest bench lint clean deps deps-test variant-asan variant-release

all: ferry

ferry: deps
	@$(MAKE) --no-print-directory VARIANT=release variant-release
	@ln -sf build/release/ferry ferry

variant-release variant-asan: $(B)/ferry $(UNIT_BIN)

$(B)/libferry.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/ferry: $(B)/main.o $(B)/libferry.a
	$(CC) $(LDFLAGS_V) -o $@ $^ $(LIBS)

# built against another libmicrohttpd: compiled again
$(LIB_OBJ): $(wildcard $(MHD_PREFIX)/.stamp)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS_V) -c -o $@ $<

# Bench tool (scenario 8): the bare librdkafka copy loop ferry's mirror is measured against.
$(B)/rdk_copy: scripts/bench/rdk_copy.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS_V) -o $@ $< $(LDFLAGS_V) $(shell $(PKG_CONFIG) --libs rdkafka)

$(B)/tests/unit/%: tests/unit/%.c $(B)/libferry.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS_V) $(shell $(PKG_CONFIG) --cflags check 2>/dev/null) -o $@ $< \
	    $(B)/libferry.a $(LDFLAGS_V) $(LIBS) $(TEST_LIBS)

# Bench tool (scenario 9): the worst schema shapes, parsed and checked in-process.
$(B)/schema_shapes: scripts/bench/schema_shapes.c $(B)/libferry.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS_V) -o $@ $< $(B)/libferry.a $(LDFLAGS_V) $(LIBS)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# Starts the registry on 127.0.0.1:8081 with the embedded store in ./data.
run: ferry
	./ferry serve --listen 127.0.0.1:8081 --data-dir ./data

# Every test: unit (Check) and integration (pytest against a live ferry), all under ASan+UBSan.
test: deps-test
	@$(MAKE) --no-print-directory VARIANT=release variant-release
	@ln -sf build/release/ferry ferry
	@$(MAKE) --no-print-directory VARIANT=asan variant-asan
	@$(MAKE) --no-print-directory check-run VARIANT=asan
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory itest-run VARIANT=asan
	@$(MAKE) --no-print-directory check-kafka-run

check: deps-test
	@$(MAKE) --no-print-directory VARIANT=asan variant-asan
	@$(MAKE) --no-print-directory check-run VARIANT=asan

itest: deps-test
	@$(MAKE) --no-print-directory VARIANT=asan variant-asan
	@$(MAKE) --no-print-directory itest-run VARIANT=asan

# Kafka tests (mirror): two real KRaft clusters from scripts/kafka/kafka.sh, release build.
check-kafka: deps-test
	@$(MAKE) --no-print-directory VARIANT=release variant-release
	@ln -sf build/release/ferry ferry
	@$(MAKE) --no-print-directory check-kafka-run

.PHONY: check-run itest-run check-kafka check-kafka-run
check-kafka-run:
	@scripts/deps.sh kafka
	FERRY_BIN=$(abspath build/release/ferry) $(PYTHON) -m pytest -q tests/kafka $(PYTEST_ARGS)

check-run:
	@scripts/run-unit.sh $(UNIT_BIN)

itest-run:
	FERRY_BIN=$(abspath $(B)/ferry) $(PYTHON) -m pytest -q tests/integration $(PYTEST_ARGS)

bench: deps-test
	@$(MAKE) --no-print-directory VARIANT=release variant-release build/release/rdk_copy \
	    build/release/schema_shapes
	@ln -sf build/release/ferry ferry
	FERRY_BIN=$(abspath build/release/ferry) scripts/bench.sh

# Fuzzing (tests/fuzz/README.md): libFuzzer targets built with clang into build/fuzz.
# `make fuzz` runs each for FUZZ_SECONDS (default 300; FUZZ_TARGETS=fuzz_avro narrows it);
# `make test` runs each for FUZZ_SHORT_SECONDS after replaying tests/fuzz/regressions.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 4
.PHONY: fuzz fuzz-short fuzz-build variant-fuzz

variant-fuzz: $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/fuzz/%)

$(B)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(B)/libferry.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS_V) -fsanitize=fuzzer -o $@ $< $(B)/libferry.a $(LDFLAGS_V) $(LIBS)

fuzz-build:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory VARIANT=fuzz variant-fuzz

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-short: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

lint:
	@! grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi|atol|gets|alloca)\(' \
	    $(LIB_SRC) main.c || (echo "lint: banned call"; false)

clean:
	rm -rf build ferry

-include $(DEPS)
