# redis-restore: build, package, run locally on the emulator, test, measure.
# Needs only Go: every tool below is this module's own code.

SHELL     := bash
GO        ?= go
DIST      := dist
BIN       := $(DIST)/main
ZIP       := $(DIST)/redis-restore.zip
EVENT     ?= testdata/timer.json
FUZZTIME  ?= 3s
# The race detector needs cgo; where there is no C compiler, tests run without it.
RACE      ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null && echo -race)
# Each fuzz target, as package:Target.
FUZZ_TARGETS := \
	./events:FuzzDetect ./events:FuzzParseRestoreRequests ./events:FuzzDecodeAPIGateway \
	./events:FuzzDecodeCMQ ./events:FuzzDecodeTimer ./events:FuzzDecodeAlarm \
	./handler:FuzzWebhookSignature ./handler:FuzzInvoke

.PHONY: all build package run test unit fuzz fuzz-short bench vet deploy clean

all: test build

## build: the function for SCF (linux/amd64, static, stripped)
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN) .

## package: the deployment zip, main at its root with its exec bit
package: build
	$(GO) run ./cmd/pack -o $(ZIP) $(BIN)

## run: build, start the emulator with demo data, invoke as SCF would with $(EVENT)
run: build
	$(GO) run ./cmd/localrun -bin $(BIN) -event $(EVENT)

## test: vet, every test (emulator, SCF driver, end to end), a few seconds of each fuzz target
test: vet unit fuzz-short

vet:
	$(GO) vet ./...

# The fault suite runs on its own, verbose, so that its figures are printed.
unit:
	$(GO) test $(RACE) -count=1 -skip '^TestFaultSuite$$' ./...
	set -o pipefail; $(GO) test $(RACE) -count=1 -v -run '^TestFaultSuite$$' ./handler | grep -E '^(FAULT-SUITE|--- |ok|FAIL|PASS)|_test.go'

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

## fuzz: each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME); \
	done

## bench: measure cold start, latency, memory, size, throughput; writes BENCHMARKS.md
bench: build package
	$(GO) run ./cmd/bench -bin $(BIN) -zip $(ZIP) -o BENCHMARKS.md

## deploy: package and deploy with the Serverless Framework (needs Node.js and Tencent Cloud credentials)
deploy: package
	rm -rf $(DIST)/pkg && mkdir -p $(DIST)/pkg && cp $(BIN) $(DIST)/pkg/main
	npx --yes serverless deploy

clean:
	rm -rf $(DIST)
