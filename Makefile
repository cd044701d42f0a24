# wsprobe: WebSocket conformance checker and load generator.
# `make` builds bin/wsprobe; `make test` runs every test under ASan+UBSan;
# `make demo` runs wsprobe against its own server. Dependencies are installed
# by scripts/deps.sh when missing (Debian/Ubuntu).

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
PKGS    := openssl zlib libcjson

WARN    := -Wall -Wextra -Werror
OPT     ?= -O2 -g
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -lz -lcjson) -lpthread -lm
SAN     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Every module folder is a flat list of .c files; cli/main.c holds main().
# util/ holds what several modules share (number parsing, file reads, time text).
LIB_SRC := $(wildcard util/*.c ws/*.c net/*.c serve/*.c harness/*.c loadgen/*.c reports/*.c) \
           $(filter-out cli/main.c,$(wildcard cli/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
PEER_SRC := $(wildcard tests/peers/*.c)

REL := $(BUILD)/rel
SANB := $(BUILD)/san

REL_OBJ := $(LIB_SRC:%.c=$(REL)/%.o)
SAN_OBJ := $(LIB_SRC:%.c=$(SANB)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(SANB)/tests/%)
PEER_BIN := $(PEER_SRC:tests/peers/%.c=$(BUILD)/peers/%)

.PHONY: all deps test-deps test test-build unit integration demo install clean format fuzz fuzz-build bench

all: bin/wsprobe

# Static archives, so a program links only the modules it uses.
$(REL)/libwsprobe.a: $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SANB)/libwsprobe.a: $(SAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/wsprobe: $(REL)/cli/main.o $(REL)/libwsprobe.a
	@mkdir -p bin
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT) -MMD -MP -c $< -o $@

$(SANB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN) -MMD -MP -c $< -o $@

$(SANB)/wsprobe: $(SANB)/cli/main.o $(SANB)/libwsprobe.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

$(SANB)/tests/%: tests/unit/%.c $(SANB)/libwsprobe.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN) -o $@ $< $(SANB)/libwsprobe.a $(LDLIBS) -lcmocka

# Misbehaving servers and helpers for the integration tests.
$(BUILD)/peers/%: tests/peers/%.c $(REL)/libwsprobe.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT) -o $@ $< $(REL)/libwsprobe.a $(LDLIBS)

# Fuzzing (clang libFuzzer, tests/fuzz/README.md): each tests/fuzz/fuzz_NAME.c
# becomes build/fuzz/fuzz_NAME, linked against the library built with coverage
# instrumentation. `make fuzz` runs each for FUZZ_SECONDS on a copy of its seed
# corpus (tests/fuzz/corpus/NAME) and fails on any crash.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ     := $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libwsprobe.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(BUILD)/fuzz/libwsprobe.a
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libwsprobe.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

# The test build: unit tests, the sanitized binary, then integration tests
# that start real servers and clients on 127.0.0.1.
test: test-deps
	@$(MAKE) --no-print-directory test-build
	@tests/run.sh

test-build: $(UNIT_BIN) $(SANB)/wsprobe bin/wsprobe $(PEER_BIN)

unit: $(UNIT_BIN)
	@tests/run.sh --unit

integration: $(SANB)/wsprobe bin/wsprobe $(PEER_BIN)
	@tests/run.sh --integration

demo: deps
	@$(MAKE) --no-print-directory bin/wsprobe
	@scripts/demo.sh

install: bin/wsprobe
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/wsprobe/cases
	install -m 755 bin/wsprobe $(DESTDIR)$(PREFIX)/bin/wsprobe
	install -m 644 cases/*.json $(DESTDIR)$(PREFIX)/share/wsprobe/cases/

format:
	clang-format -i $(LIB_SRC) cli/main.c $(wildcard */*.h) $(UNIT_SRC) $(PEER_SRC)

clean:
	rm -rf $(BUILD) bin

-include $(REL_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
