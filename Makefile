# rdnscheck: `make demo` runs the checker offline against a local NSD; `make test` runs every test.
# Both install what they need from Debian's packages (nsd, awscli) when it is missing.

SWIFT ?= swift
# The release binary carries the Swift runtime (it needs only glibc, libresolv and libstdc++ on the host), so
# `make install` works on machines without the toolchain; it also starts with less memory.
RELEASE_FLAGS ?= -c release --static-swift-stdlib
RELEASE_BIN = $(shell $(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/rdnscheck
DEMO_DIR ?= $(CURDIR)/.build/demo
DEMO_PORT ?= 5354

.PHONY: all build release deps test test-quick test-receivers demo bench fuzz soak valgrind valgrind-shim valgrind-binary valgrind-tool sanitize clean

all: build

build:
	$(SWIFT) build

release:
	$(SWIFT) build $(RELEASE_FLAGS)

# NSD serves the test and demo zones. Tests start it themselves on free loopback ports (never port 53), and Unbound
# in front of it (UnboundIntegrationTests: a stale DS, CNAME loops; /usr/sbin/policy-rc.d keeps the service stopped).
# awscli (Debian's, /usr/bin/aws) is what `aws-ptr on` runs; the tests and the demo run it against loopback
# stand-ins of the EC2 API and the metadata service (Tests/Stubs), never AWS.
deps:
	@missing=""; \
	    [ -x /usr/sbin/nsd ] || missing="$$missing nsd"; \
	    [ -x /usr/sbin/unbound ] || missing="$$missing unbound"; \
	    [ -x /usr/bin/aws ] || missing="$$missing awscli"; \
	    [ -z "$$missing" ] || { \
	    echo "installing$$missing (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }

# Every test, as CI runs it (.ci/run), in 12 to 15 minutes on 2 cores (see Tests/Scripts/test-all.sh): the Swift
# tests (unit, parser, NSD, fault server, fault matrix, end-to-end), the same under ThreadSanitizer and under
# AddressSanitizer, valgrind on the C shim and on the release binary, the Debian package (lintian), the shipped units,
# the daemon and the package under a real systemd in a container (root; the first time Debian's mirror), the alert
# rules and dashboard on Debian's prometheus, Icinga 2, Nagios and the on-change recipes, the receiver verdicts
# against a real Postfix (make test-receivers), a soak of TEST_SOAK_RUNS
# daemon runs, and every fuzz target for FUZZ_SECONDS. Per-step logs in .build/test-logs.
TEST_SOAK_RUNS ?= 200
test: deps
	@SWIFT="$(SWIFT)" RELEASE_FLAGS="$(RELEASE_FLAGS)" RELEASE_BIN="$(RELEASE_BIN)" MAKE="$(MAKE)" \
	    FUZZ_SECONDS="$(FUZZ_SECONDS)" TEST_SOAK_RUNS="$(TEST_SOAK_RUNS)" Tests/Scripts/test-all.sh

# The receiver suite alone (Tests/Receivers/run.sh; root): rdnscheck's postfix-client and postfix-reverse verdicts
# against a real Postfix behind Unbound and NSD, in a network namespace of its own; about 10 s.
test-receivers: deps release
	Tests/Receivers/run.sh "$(RELEASE_BIN)"

# The quick path for development (the former `make test`): the Swift tests, then the units and the real-systemd
# test (see Tests/Systemd/run.sh; needs root and, the first time, Debian's mirror).
test-quick: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory units-check
	$(MAKE) --no-print-directory systemd-test

# Hostile input (see Tests/Fuzz, Tests/Soak and Tests/Sanitizers): libFuzzer on every parser of untrusted input
# (FUZZ_SECONDS each, after the saved regressions), the daemon over many runs against good, failing and hostile
# DNS watching its memory and descriptors (SOAK_RUNS), valgrind on the C shim and on the release binary, and the
# suite under ASan or TSan.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
SOAK_RUNS ?= 2000
SANITIZER ?= address

fuzz: deps
	FUZZ_JOBS=$(FUZZ_JOBS) Tests/Fuzz/run.sh $(FUZZ_SECONDS)

soak: deps release
	Tests/Soak/soak.sh $(SOAK_RUNS) "$(RELEASE_BIN)"

# valgrind on the C shim, then on the release binary (the engine and its socket calls; Tests/Sanitizers/valgrind.sh).
valgrind: valgrind-shim valgrind-binary

valgrind-shim: deps valgrind-tool
	Tests/Sanitizers/valgrind.sh

valgrind-binary: deps release valgrind-tool
	Tests/Sanitizers/valgrind.sh --binary "$(RELEASE_BIN)"

valgrind-tool:
	@command -v valgrind >/dev/null || { echo "installing valgrind (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }

sanitize: deps
	Tests/Sanitizers/sanitize.sh $(SANITIZER)

# rdnscheck (and adnslogres, when adns-tools is installed) on 10.0.0.0/24, /20 and /16 against a local NSD.
bench: deps release
	@command -v /usr/bin/time >/dev/null || [ -x /usr/bin/time ] || \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
	bench/run.sh "$(RELEASE_BIN)"

# Starts NSD on 127.0.0.1:$(DEMO_PORT) with the zones in Tests/Zones, checks every example address with the
# demo configuration, prints the text and nagios reports, then an EC2 instance's addresses with AWS's record of their
# PTRs (Tests/Scripts/ec2-demo.sh: stand-ins of the metadata service and the EC2 API on loopback, the real `aws`),
# and a --preflight, and stops NSD again.
demo: deps release
	@Tests/Scripts/nsd-demo.sh start "$(DEMO_DIR)" $(DEMO_PORT)
	@trap 'Tests/Scripts/nsd-demo.sh stop "$(DEMO_DIR)"' EXIT; \
	    bin="$(RELEASE_BIN)"; \
	    echo; echo "$$ rdnscheck --once -c config/demo.conf --nameserver 127.0.0.1:$(DEMO_PORT)"; \
	    $$bin --once -c config/demo.conf --nameserver 127.0.0.1:$(DEMO_PORT); \
	    echo "(exit status $$?)"; \
	    echo; echo "$$ rdnscheck --once --format nagios --nameserver 127.0.0.1:$(DEMO_PORT) 192.0.2.10 192.0.2.15 192.0.2.11"; \
	    $$bin --once --format nagios --nameserver 127.0.0.1:$(DEMO_PORT) 192.0.2.10 192.0.2.15 192.0.2.11; \
	    echo "(exit status $$?)"; \
	    echo; echo "$$ rdnscheck --once --receivers --nameserver 127.0.0.1:$(DEMO_PORT) 192.0.2.10 192.0.2.16 192.0.2.12 192.0.2.23"; \
	    $$bin --once --receivers --nameserver 127.0.0.1:$(DEMO_PORT) 192.0.2.10 192.0.2.16 192.0.2.12 192.0.2.23; \
	    echo "(exit status $$?)"; \
	    echo; echo "$$ rdnscheck --once --nameserver 127.0.0.1:$(DEMO_PORT) 198.51.100.32/28"; \
	    $$bin --once --nameserver 127.0.0.1:$(DEMO_PORT) 198.51.100.32/28; \
	    echo "(exit status $$?)"; \
	    echo; echo "An EC2 instance: its addresses from the metadata service, AWS's record of their PTRs (stand-ins)"; \
	    Tests/Scripts/ec2-demo.sh "$(DEMO_DIR)/ec2" $(DEMO_PORT) $$bin; \
	    echo "(exit status $$?)"; \
	    echo; echo "$$ rdnscheck --preflight --nameserver 127.0.0.1:$(DEMO_PORT) 203.0.113.26=mail-ec2.example.test 203.0.113.28=mail28.example.test"; \
	    $$bin --preflight --nameserver 127.0.0.1:$(DEMO_PORT) 203.0.113.26=mail-ec2.example.test 203.0.113.28=mail28.example.test; \
	    echo "(exit status $$?)"; \
	    true

clean:
	rm -rf .build

# ---------------------------------------------------------------------------------------------------------------
# Installation, systemd units, and the test under a real systemd.
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [RDNSCHECK_BIN=]   release binary, units, man page, example config,
#                                                  bash completion
#   make uninstall                                 removes what install put there; keeps /etc/rdnscheck and the state
#   make units-check                               systemd-analyze verify + security (exposure at most 1.5)
#   make systemd-test                              Tests/Systemd/run.sh (root): systemd 252 in systemd-nspawn
#
# Units go where systemd looks for them: PREFIX=/usr installs them with the distribution's (/lib/systemd/system);
# any other PREFIX (the default /usr/local, /opt/...) to /usr/local/lib/systemd/system, the directory systemd
# keeps for units the administrator installed (a unit under /opt/.../lib/systemd/system would never be found).
# Override with SYSTEMD_UNIT_DIR=. ExecStart= is rewritten to $(BINDIR)/rdnscheck. The configuration lives in
# /etc/rdnscheck whatever the PREFIX (the units read it there); an existing rdnscheck.conf is never replaced.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/rdnscheck
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMD_UNIT_DIR ?= $(if $(filter /usr /usr/,$(PREFIX)),/lib/systemd/system,/usr/local/lib/systemd/system)
CONFDIR = /etc/rdnscheck
UNITS = rdnscheck.service rdnscheck-once.service rdnscheck.timer
# The binary to install: by default the release build, built first; RDNSCHECK_BIN=PATH installs PATH as it is
# (Tests/Systemd/run.sh uses it, so it never waits for a SwiftPM build lock).
RDNSCHECK_BIN ?=
# systemctl is only called for a live install on a host booted with systemd.
LIVE_SYSTEMD = [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]

.PHONY: install uninstall units-check systemd-test deb deb-check deb-tools

install: $(if $(RDNSCHECK_BIN),,release)
	@set -e; bin="$(RDNSCHECK_BIN)"; [ -n "$$bin" ] || bin="$(RELEASE_BIN)"; \
	    install -d -m 0755 "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(SYSTEMD_UNIT_DIR)" "$(DESTDIR)$(MANDIR)/man8" \
	        "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(CONFDIR)" "$(DESTDIR)$(BASH_COMPLETION_DIR)"; \
	    install -m 0755 "$$bin" "$(DESTDIR)$(BINDIR)/rdnscheck"; \
	    echo "installed $(DESTDIR)$(BINDIR)/rdnscheck"; \
	    for unit in $(UNITS); do \
	        sed '/^ExecStart=/s|/usr/local/bin/rdnscheck|$(BINDIR)/rdnscheck|' "systemd/$$unit" \
	            > "$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit.tmp"; \
	        chmod 0644 "$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit.tmp"; \
	        mv -f "$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit.tmp" "$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit"; \
	        echo "installed $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$unit"; \
	    done; \
	    sed 's|/usr/local/bin/rdnscheck|$(BINDIR)/rdnscheck|g; s|/usr/local/lib/systemd/system|$(SYSTEMD_UNIT_DIR)|g' \
	        systemd/rdnscheck.8 > "$(DESTDIR)$(MANDIR)/man8/rdnscheck.8"; \
	    chmod 0644 "$(DESTDIR)$(MANDIR)/man8/rdnscheck.8"; \
	    echo "installed $(DESTDIR)$(MANDIR)/man8/rdnscheck.8"; \
	    install -m 0644 config/rdnscheck.conf "$(DESTDIR)$(DOCDIR)/rdnscheck.conf.example"; \
	    install -m 0644 contrib/bash-completion/rdnscheck "$(DESTDIR)$(BASH_COMPLETION_DIR)/rdnscheck"; \
	    if [ -e "$(DESTDIR)$(CONFDIR)/rdnscheck.conf" ]; then \
	        echo "kept the existing $(DESTDIR)$(CONFDIR)/rdnscheck.conf (the example is $(DOCDIR)/rdnscheck.conf.example)"; \
	    else \
	        install -m 0644 config/rdnscheck.conf "$(DESTDIR)$(CONFDIR)/rdnscheck.conf"; \
	        echo "installed the example $(DESTDIR)$(CONFDIR)/rdnscheck.conf: add your check lines"; \
	    fi; \
	    if $(LIVE_SYSTEMD); then systemctl daemon-reload; fi; \
	    if [ -z "$(DESTDIR)" ]; then \
	        echo "next: edit $(CONFDIR)/rdnscheck.conf, rdnscheck --check-config, then"; \
	        echo "      systemctl enable --now rdnscheck.service   (or rdnscheck.timer for a run every 15 minutes)"; \
	    fi

uninstall:
	@if $(LIVE_SYSTEMD); then systemctl disable --now rdnscheck.service rdnscheck.timer 2>/dev/null || true; fi
	rm -f "$(DESTDIR)$(BINDIR)/rdnscheck" "$(DESTDIR)$(MANDIR)/man8/rdnscheck.8" \
	    "$(DESTDIR)$(DOCDIR)/rdnscheck.conf.example" "$(DESTDIR)$(BASH_COMPLETION_DIR)/rdnscheck" \
	    $(addprefix "$(DESTDIR)$(SYSTEMD_UNIT_DIR)/,$(addsuffix ",$(UNITS)))
	@rmdir "$(DESTDIR)$(DOCDIR)" 2>/dev/null || true
	@if $(LIVE_SYSTEMD); then systemctl daemon-reload; fi
	@echo "kept $(DESTDIR)$(CONFDIR) (configuration) and /var/lib/private/rdnscheck (state): remove them by hand"

# Lints the units and the man page and measures the sandbox (systemd-analyze comes with Debian's systemd package).
units-check: release
	@command -v systemd-analyze >/dev/null 2>&1 || { \
	    echo "installing systemd (Debian package) for systemd-analyze"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null; }
	@Tests/Systemd/units-check.sh "$(RELEASE_BIN)"

# Boots Debian with systemd 252 in systemd-nspawn and checks the daemon through systemctl and journalctl (root;
# the Debian tree is cached in /var/cache/rdnscheck-systemd-test). SYSTEMD_TEST_FLAGS=--keep leaves it running.
systemd-test: release
	@Tests/Systemd/run.sh $(SYSTEMD_TEST_FLAGS)

# ---------------------------------------------------------------------------------------------------------------
# The Debian package (packaging/deb/build.sh says what is in it, and why dpkg-deb rather than dpkg-buildpackage).
#
#   make deb [DEB_REVISION=1]    .build/deb/rdnscheck_X.Y.Z-REVISION_ARCH.deb from the release binary
#   make deb-check               make deb, then lintian and the package's contents (Tests/Packaging/deb-check.sh)
DEB_REVISION ?= 1
DEB_DIR = $(CURDIR)/.build/deb

deb: release deb-tools
	@packaging/deb/build.sh "$(RELEASE_BIN)" "$(DEB_DIR)" "$(DEB_REVISION)"

deb-check: deb
	@Tests/Packaging/deb-check.sh "$(DEB_DIR)" "$(DEB_REVISION)" "$(RELEASE_BIN)"

# dpkg-deb comes with dpkg; dpkg-shlibdeps with dpkg-dev, strip with binutils, lintian with lintian.
deb-tools:
	@missing=""; \
	    command -v dpkg-shlibdeps >/dev/null || missing="$$missing dpkg-dev"; \
	    command -v strip >/dev/null || missing="$$missing binutils"; \
	    command -v lintian >/dev/null || missing="$$missing lintian"; \
	    [ -z "$$missing" ] || { \
	    echo "installing$$missing (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }
