# rdnscheck: `make demo` runs the checker offline against a local NSD; `make test` runs every test.
# Both install what they need from Debian's packages (nsd) when it is missing.

SWIFT ?= swift
DEMO_DIR ?= $(CURDIR)/.build/demo
DEMO_PORT ?= 5354

.PHONY: all build release deps test demo clean

all: build

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# NSD serves the test and demo zones. Tests start it themselves on free loopback ports (never port 53).
deps:
	@command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || { \
	    echo "installing nsd (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nsd >/dev/null; }

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Starts NSD on 127.0.0.1:$(DEMO_PORT) with the zones in Tests/Zones, checks every example address with the
# demo configuration, prints the text and nagios reports, and stops NSD again.
demo: deps release
	@Tests/Scripts/nsd-demo.sh start "$(DEMO_DIR)" $(DEMO_PORT)
	@trap 'Tests/Scripts/nsd-demo.sh stop "$(DEMO_DIR)"' EXIT; \
	    bin=$$($(SWIFT) build -c release --show-bin-path)/rdnscheck; \
	    echo; echo "$$ rdnscheck --once -c config/demo.conf --nameserver 127.0.0.1:$(DEMO_PORT)"; \
	    $$bin --once -c config/demo.conf --nameserver 127.0.0.1:$(DEMO_PORT); \
	    echo "(exit status $$?)"; \
	    echo; echo "$$ rdnscheck --once --format nagios --nameserver 127.0.0.1:$(DEMO_PORT) 192.0.2.10 192.0.2.15 192.0.2.11"; \
	    $$bin --once --format nagios --nameserver 127.0.0.1:$(DEMO_PORT) 192.0.2.10 192.0.2.15 192.0.2.11; \
	    echo "(exit status $$?)"; \
	    echo; echo "$$ rdnscheck --once --nameserver 127.0.0.1:$(DEMO_PORT) 198.51.100.32/28"; \
	    $$bin --once --nameserver 127.0.0.1:$(DEMO_PORT) 198.51.100.32/28; \
	    echo "(exit status $$?)"; \
	    true

clean:
	rm -rf .build
