# viasfs: plain Makefile. `make` builds the library, the emulator and the tests;
# `make check` runs every test; `make SANITIZE=address,undefined check` does so sanitized.
# Every target first runs the dependency step (`deps`), which installs missing Debian
# packages as root or prints the exact install line and stops.

CC        ?= cc
BUILD     ?= build
PKGS      := fuse3 libcurl libcjson glib-2.0 libmicrohttpd
DEB_PKGS  := gcc pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libcjson-dev libglib2.0-dev \
             libmicrohttpd-dev curl python3 inotify-tools rsync openssl attr prometheus man-db \
             valgrind
TOOLS     := cc pkg-config curl fusermount3 python3 inotifywait rsync openssl getfattr promtool \
             man valgrind

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wformat=2 -Wno-unused-parameter
CFLAGS    ?= -O2 -g
VERSION   := 0.1.0
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -Iinclude -D_GNU_SOURCE -DVIASFS_VERSION='"$(VERSION)"' \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS       = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SANITIZE)
BUILD      := build-sanitize
endif

LIB_SRC    := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libviasfs.a
BIN        := $(BUILD)/viasfs
EMU_SRC    := $(wildcard emulator/*.c)
EMU_OBJ    := $(EMU_SRC:%.c=$(BUILD)/%.o)
EMU        := $(BUILD)/vias-emulator
SUP_SRC    := $(wildcard tests/support/*.c)
SUP_OBJ    := $(SUP_SRC:%.c=$(BUILD)/%.o)
EXAMPLES   := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
TEST_SRC   := $(wildcard tests/unit/test_*.c tests/client/test_*.c)
TEST_BIN   := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps check demo format clean
# Test support objects are shared by every test program: keep them between runs.
.SECONDARY:
all: $(DEPS_STAMP) $(LIB) $(BIN) $(EMU) $(TEST_BIN) $(EXAMPLES)

# The dependency step. Re-checked when the Makefile changes.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	@missing=""; \
	for m in $(PKGS); do pkg-config --exists $$m 2>/dev/null || missing="$$missing $$m"; done; \
	for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "deps: installing: apt-get install -y $(DEB_PKGS)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)) || exit 1; \
	  else \
	    echo "deps: run as root: apt-get update && apt-get install -y $(DEB_PKGS)"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(@D) && touch $@

# Objects depend on the stamp only for ordering, so a fresh clone installs first.
$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@echo '  AR      $@'
	@ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Examples are plain C programs with no library dependency.
$(BUILD)/examples/%: examples/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo '  CCLD    $@'
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS)

$(EMU): $(EMU_OBJ)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/%.c $(SUP_OBJ) $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo '  CCLD    $@'
	@$(CC) $(ALL_CFLAGS) -Itests/support -MMD -MP -o $@ $< $(SUP_OBJ) $(LIB) $(LDFLAGS) $(LIBS)

check: all
	@BUILD=$(BUILD) tests/run.sh

# Emulator with a few thousand changing tasks, mounted at ./mnt until Ctrl-C.
demo: all
	@BUILD=$(BUILD) examples/demo.sh

format:
	clang-format -i $(wildcard src/*.c include/viasfs/*.h emulator/*.c emulator/*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build build-sanitize

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/tests/*/*.d)
