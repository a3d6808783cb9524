# viasfs: plain Makefile. `make` builds the library, the emulator and the tests;
# `make check` runs every test; `make SANITIZE=address,undefined check` does so sanitized.
# Every target first runs the dependency step (`deps`: what building and running need), and
# the test targets the test-dependency step too (`check-deps`: the tools the tests use); each
# installs missing Debian packages as root or prints the exact install line and stops.

CC        ?= cc
BUILD     ?= build
PKGS      := fuse3 libcurl libcjson glib-2.0 libmicrohttpd
# Building, running and the demo (which asks the emulator for a task with curl).
DEB_PKGS  := gcc pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libcjson-dev libglib2.0-dev \
             libmicrohttpd-dev curl
TOOLS     := cc pkg-config curl fusermount3
# The tests only: make check (python3, inotifywait, rsync, openssl, getfattr, promtool, man)
# and make check-valgrind. promtool comes only with the prometheus server package, whose
# installation starts the prometheus service on a systemd host; its recommends are not taken.
# tests/ops/package.sh builds the Debian packages (debhelper, dpkg-dev) and runs lintian.
TEST_DEB_PKGS := python3 inotify-tools rsync openssl attr man-db prometheus valgrind \
                 debhelper dpkg-dev lintian
TEST_TOOLS    := python3 inotifywait rsync openssl getfattr man promtool valgrind \
                 dh dpkg-buildpackage lintian

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wformat=2 -Wno-unused-parameter
CFLAGS    ?= -O2 -g
# The version is written in one place, the newest entry of debian/changelog; --version of
# both programs, and the packages, take it from there (the man pages' .TH lines repeat it, and
# tests/ops/man.sh and tests/ops/package.sh check that they agree).
# (Found next to this Makefile, which may be run with -f from elsewhere: tests/ops/demo.sh.)
VERSION   := $(shell sed -n '1s/^viasfs (\([^ ]*\)) .*/\1/p' \
               '$(dir $(lastword $(MAKEFILE_LIST)))debian/changelog' 2>/dev/null)
ifeq ($(VERSION),)
$(error no version in debian/changelog: its first line must be "viasfs (VERSION) ...")
endif
# CPPFLAGS: empty here, but a package build passes -D_FORTIFY_SOURCE=2 in it (dpkg-buildflags).
ALL_CFLAGS = -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -Iinclude -D_GNU_SOURCE -DVIASFS_VERSION='"$(VERSION)"' \
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
CHECK_DEPS_STAMP := $(BUILD)/.check-deps-ok

.PHONY: all deps check-deps check demo format clean
# Test support objects are shared by every test program: keep them between runs.
.SECONDARY:
all: $(DEPS_STAMP) $(LIB) $(BIN) $(EMU) $(TEST_BIN) $(EXAMPLES)

# install_missing STEP,DEB_PKGS,MISSING_CHECK,APT_OPTIONS: the recipe of a dependency step.
# MISSING_CHECK appends what is missing to $$missing; then, as root, apt-get installs DEB_PKGS;
# otherwise the exact line to run is printed and make stops.
define install_missing
	@missing=""; $(3) \
	if [ -n "$$missing" ]; then \
	  echo "$(1): missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "$(1): installing: apt-get install -y $(4)$(2)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(4)$(2)) || exit 1; \
	  else \
	    echo "$(1): run as root: apt-get update && apt-get install -y $(4)$(2)"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(@D) && touch $@
endef
missing_tools = for t in $(1); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done;

# The dependency step: what building and running need. Re-checked when the Makefile changes.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	$(call install_missing,deps,$(DEB_PKGS),\
	  for m in $(PKGS); do pkg-config --exists $$m 2>/dev/null || missing="$$missing $$m"; done; \
	  $(call missing_tools,$(TOOLS)),)

# The test-dependency step: the tools the tests use (make check, make check-valgrind).
check-deps: $(CHECK_DEPS_STAMP)
$(CHECK_DEPS_STAMP): Makefile | $(DEPS_STAMP)
	$(call install_missing,check-deps,$(TEST_DEB_PKGS),$(call missing_tools,$(TEST_TOOLS)),--no-install-recommends )

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

check: all $(CHECK_DEPS_STAMP)
	@BUILD=$(BUILD) tests/run.sh

# Emulator with a few thousand changing tasks, mounted at ./mnt until Ctrl-C. exec: no shell
# between make and the script, since a shell that sees Ctrl-C re-raises it when its child ends,
# and make then reports "Interrupt" for a demo that ended cleanly.
demo: all
	@BUILD=$(BUILD) exec examples/demo.sh

format:
	clang-format -i $(wildcard src/*.c include/viasfs/*.h emulator/*.c emulator/*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build build-sanitize

# ---- Fuzzing (fuzz/README.md). `make fuzz-build` builds the libFuzzer targets in build/fuzz/
# with clang, ASan and UBSan, compiling the parser sources into them (libviasfs.a is gcc-built
# and not instrumented). `make fuzz` runs each target FUZZ_SECONDS (per target, default 600)
# from its corpus in fuzz/corpus/<target>/ and the hand-made fuzz/edge/, and fails on a crash,
# leak, UB or broken check; new inputs go to build/fuzz/corpus-<target>/, which `make
# fuzz-merge` minimises into fuzz/corpus/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := fuzz_page fuzz_detail fuzz_snapshot
FUZZ_BIN     := $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_SRC     := fuzz/check.c $(addprefix src/,task.c task_page.c redact.c name.c event.c \
                api_error.c http.c backoff.c log.c json_string.c snapshot.c)
FUZZ_PKGS    := glib-2.0 libcjson libcurl
FUZZ_FLAGS   := -std=gnu11 $(WARN) -g -O1 -fno-omit-frame-pointer -Iinclude -Isrc -D_GNU_SOURCE \
                -DVIASFS_VERSION='"$(VERSION)"' \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUN     := -max_len=16384 -timeout=10 -rss_limit_mb=2048 -dict=fuzz/json.dict \
                -print_final_stats=1
.PHONY: fuzz fuzz-build fuzz-merge
fuzz-build: $(FUZZ_BIN)
build/fuzz/%: fuzz/%.c fuzz/check.h $(FUZZ_SRC) $(wildcard include/viasfs/*.h src/*.h) | $(DEPS_STAMP)
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) is missing: apt-get install -y clang libclang-rt-14-dev"; exit 1; }
	@mkdir -p $(@D)
	@echo '  FUZZ    $@'
	@$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags $(FUZZ_PKGS)) -o $@ $< $(FUZZ_SRC) \
	  $(shell pkg-config --libs $(FUZZ_PKGS))
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus-$$t build/fuzz/artifacts; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build/fuzz/$$t $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=build/fuzz/artifacts/$$t- build/fuzz/corpus-$$t fuzz/corpus/$$t fuzz/edge \
	    2>build/fuzz/$$t.log || { tail -60 build/fuzz/$$t.log; echo "fuzz: $$t FAILED (build/fuzz/$$t.log)"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done|^#[0-9]+.*DONE' build/fuzz/$$t.log | tail -2; \
	done
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  build/fuzz/$$t $(FUZZ_RUN) -merge=1 fuzz/corpus/$$t build/fuzz/corpus-$$t 2>&1 | tail -1; \
	done

# ---- Install (man viasfs, FILES). `make install` copies viasfs, vias-emulator, the man page
# and examples/ under $(DESTDIR)$(PREFIX), but not demo.sh, which is `make demo` and runs only
# in the repository (its build/ and ./mnt); `make uninstall` removes exactly those files.
# `mount -t fuse.viasfs` and fstab need nothing more: mount(8) runs mount.fuse from the fuse3
# package, which runs `viasfs` from /bin/sh's default PATH (mount clears PATH), so BINDIR
# must be /usr/local/bin (the default), /usr/bin, /usr/sbin or /bin for them to find it.
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/viasfs
INSTALL  ?= install
EXAMPLE_FILES := $(filter-out examples/demo.sh,$(wildcard examples/*))
.PHONY: install uninstall
install: $(BIN) $(EMU) man/viasfs.1
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 755 $(BIN) $(EMU) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 man/viasfs.1 $(DESTDIR)$(MANDIR)/man1/viasfs.1
	$(INSTALL) -m 644 $(filter-out %.sh,$(EXAMPLE_FILES)) $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 755 $(filter %.sh,$(EXAMPLE_FILES)) $(DESTDIR)$(DOCDIR)/examples/
	sed -i 's|/usr/local/bin/viasfs|$(BINDIR)/viasfs|g' '$(DESTDIR)$(DOCDIR)/examples/viasfs@.service'
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/viasfs $(DESTDIR)$(BINDIR)/vias-emulator \
	  $(DESTDIR)$(MANDIR)/man1/viasfs.1 \
	  $(addprefix '$(DESTDIR)$(DOCDIR)/examples/,$(addsuffix ',$(notdir $(EXAMPLE_FILES))))
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# ---- Valgrind. `make check-valgrind` builds viasfs at -O0 (valgrind's advice for memcheck)
# in build/valgrind/ and runs VG_TESTS with every viasfs under valgrind memcheck
# (VIASFS_WRAPPER, tests/lib.sh), its waits VG_SCALE times longer. A test fails when a viasfs
# process's log has an invalid access, an uninitialised value or a definite leak. CI runs it
# (.ci/run): 11 to 16 minutes on 2 cores; a test still running after 10 minutes (the longest
# takes 3) is stopped and fails, so a hang costs CI at most that.
# Valgrind 3.19 keeps its lock across utimensat() even with --sim-hints=fuse-compatible, so
# the inotify touches viasfs makes through its own mount deadlock it: mounts get --no-inotify,
# and the watch tests about inotify (inotify, burst, examples, state_change, shutdown) are
# left out. So are freshness and request_counts: they assert what happens within a fixed
# --ttl (3 s, 30 s) of wall-clock time, which valgrind's slowdown overruns. So is load, for
# now: under valgrind's scheduling its 64 random readers' interleaved reads look like a walk
# to the read-ahead (scan.c), which then fetches details no reader asked for, and the test's
# exact count of detail requests fails (two runs in six). So is watching: it is about inotify
# watches (the scan finds none under --no-inotify) and counts requests per refresh period.
# Logs: build/valgrind/test-logs/.
VG_BUILD := build/valgrind
VALGRIND ?= valgrind --log-file=%q{VIASFS_WRAPPER_LOG}.%p --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=30 \
            --sim-hints=fuse-compatible
VG_TESTS ?= $(filter-out $(addprefix tests/mount/,freshness.sh request_counts.sh load.sh watching.sh), \
            $(wildcard tests/mount/*.sh)) \
            $(addprefix tests/watch/,events.sh long_lines.sh poll.sh walk_race.sh)
VG_SCALE ?= 4
.PHONY: check-valgrind
check-valgrind: $(EMU) $(EXAMPLES) $(CHECK_DEPS_STAMP)
	@$(MAKE) --no-print-directory BUILD=$(VG_BUILD) SANITIZE= CFLAGS='-O0 -g' $(VG_BUILD)/viasfs
	@mkdir -p $(VG_BUILD)/test-logs; failed=; \
	for t in $(VG_TESTS); do \
	  log=$(VG_BUILD)/test-logs/$$(echo $${t#tests/} | tr / _).log; start=$$(date +%s); \
	  BUILD=$(VG_BUILD) EMU_BIN=$(EMU) POLL_STATE=$(BUILD)/examples/poll-state \
	    VIASFS_WRAPPER='$(VALGRIND)' VIASFS_WRAPPER_ARGS=--no-inotify VIASFS_TIME_SCALE=$(VG_SCALE) \
	    timeout -k 10 600 bash $$t >$$log 2>&1; rc=$$?; \
	  p=$$(grep -c '^ok ' $$log); f=$$(grep -c '^not ok ' $$log); \
	  [ $$rc = 0 ] || [ $$rc = 77 ] || [ $$f != 0 ] || f=1; \
	  printf '%-28s %3d passed %3d failed  (%ds)\n' $${t#tests/} $$p $$f $$(($$(date +%s) - start)); \
	  if [ $$f != 0 ]; then failed="$$failed $$t"; grep -E '^not ok|^# ' $$log | head -40 | sed 's/^/    /'; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "check-valgrind: FAILED:$$failed"; exit 1; fi; \
	echo "check-valgrind: all passed"

# ---- Benchmark (issue 7). `make bench` times ls, cat, grep and find on a viasfs mount, cold
# and warm, with the API requests and peak RSS, next to the API lower bound
# ($(BUILD)/bench/lowerbound), a tmpfs copy, httpdirfs and rclone, and writes its section of
# bench/RESULTS.md: a few minutes. `make bench BENCH=full` adds 100,000 tasks and more
# repeats. bench/run.sh and bench/perf.py say more. Its own dependency step installs the two
# reference filesystems as root, or prints the install line and stops.
BENCH_PKGS  := httpdirfs rclone
BENCH_STAMP := $(BUILD)/.bench-deps-ok
.PHONY: bench bench-deps
bench-deps: $(BENCH_STAMP)
$(BENCH_STAMP): Makefile | $(CHECK_DEPS_STAMP)
	@missing=""; \
	for t in $(BENCH_PKGS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "bench-deps: missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "bench-deps: installing: apt-get install -y $(BENCH_PKGS)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PKGS)) || exit 1; \
	  else \
	    echo "bench-deps: run as root: apt-get update && apt-get install -y $(BENCH_PKGS)"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(@D) && touch $@
$(BUILD)/bench/lowerbound: bench/lowerbound.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo '  CCLD    $@'
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) $(LIBS)
bench: $(BENCH_STAMP) $(BIN) $(EMU) $(BUILD)/bench/lowerbound
	@BUILD=$(BUILD) BENCH=$(BENCH) bench/run.sh

# The idle cost of issue 18 alone (bench/idle.py; `make bench` runs it after the rest):
# requests per hour at 1,000, 10,000 and 100,000 tasks with nothing, a state file, a view
# or .viasfs/events watched. BEFORE=path/to/an/older/viasfs adds a "before" column.
.PHONY: bench-idle
bench-idle: $(BIN) $(EMU)
	@BUILD=$(BUILD) BEFORE=$(BEFORE) python3 bench/idle.py

# ---- Soak (issue 6). `make soak` runs bench/soak.sh for SOAK_SECONDS (default 300): churn
# and faults at the emulator, 8 readers walking the whole tree, the daemon's RSS sampled into
# $(BUILD)/soak/rss.csv; fails on a wrong byte, an error before a deadline, or RSS that keeps
# growing. Not part of `make check`. bench/soak.sh lists its other knobs (SOAK_TASKS, ...).
SOAK_SECONDS ?= 300
.PHONY: soak
soak: $(BIN) $(EMU) $(CHECK_DEPS_STAMP)
	@BUILD=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) bench/soak.sh

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/tests/*/*.d)

# ---- Debian packages (issue 17, debian/README.source). `make deb` runs the package-build
# dependency step (`deb-deps`: debhelper and dpkg-dev, installed as root or the install line
# printed, like `deps`), copies the working tree (git's tracked files and untracked ones that
# are not ignored, as they are on disk) to $(DEB_DIR)/viasfs-$(VERSION)/ and runs
# `dpkg-buildpackage -us -uc -b` there. The packages, viasfs_$(VERSION)_ARCH.deb and
# vias-emulator_$(VERSION)_ARCH.deb (with their -dbgsym packages, .buildinfo and .changes),
# land in $(DEB_DIR)/, so nothing is written outside the repository and build/ is left alone
# (debian/rules builds in its own build-deb/). This make's flags and variables (BUILD=,
# SANITIZE=, WERROR=, CFLAGS=...) are not passed down: debian/rules runs its own make with
# dpkg-buildflags' flags. DEB_BUILD_OPTIONS passes (nocheck skips the unit tests).
DEB_DIR        := $(BUILD)/deb
DEB_BUILD_PKGS := debhelper dpkg-dev
DEB_TOOLS      := dh dpkg-buildpackage dpkg-checkbuilddeps
DEB_STAMP      := $(BUILD)/.deb-deps-ok
.PHONY: deb deb-deps
deb-deps: $(DEB_STAMP)
$(DEB_STAMP): Makefile | $(DEPS_STAMP)
	$(call install_missing,deb-deps,$(DEB_BUILD_PKGS),$(call missing_tools,$(DEB_TOOLS)),--no-install-recommends )
deb: $(DEB_STAMP)
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/viasfs-$(VERSION)
	@echo '  COPY    $(DEB_DIR)/viasfs-$(VERSION)/'
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    tar --null -T - --ignore-failed-read -cf -; \
	else \
	  tar --exclude=./.git --exclude='./build*' --exclude=./mnt -cf - .; \
	fi | tar -xf - -C $(DEB_DIR)/viasfs-$(VERSION)
	@echo '  DPKG    dpkg-buildpackage -us -uc -b (log: $(DEB_DIR)/build.log)'
	@cd $(DEB_DIR)/viasfs-$(VERSION) && \
	  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u BUILD -u SANITIZE -u WERROR \
	    -u CFLAGS -u CPPFLAGS -u LDFLAGS dpkg-buildpackage -us -uc -b \
	    >../build.log 2>&1 || { tail -30 ../build.log; echo "deb: dpkg-buildpackage FAILED ($(DEB_DIR)/build.log)"; exit 1; }
	@rm -rf $(DEB_DIR)/viasfs-$(VERSION)
	@ls -1 $(DEB_DIR)/*.deb | sed 's/^/  DEB     /'
