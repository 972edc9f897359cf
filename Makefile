# redis-restore: build, package, run locally on the emulator, test, measure.
# Needs only Go: every tool below is this module's own code.

SHELL     := bash
GO        ?= go
DIST      := dist
BIN       := $(DIST)/main
ZIP       := $(DIST)/redis-restore.zip
EVENT     ?= testdata/timer.json
# make fuzz runs each target for FUZZTIME; make test runs each for a fixed
# number of inputs instead: a duration races Go 1.26's fuzz coordinator at
# its end (go.dev/issue/75804) and fails spuriously on a loaded machine.
FUZZTIME  ?= 1m
# The race detector needs cgo; where there is no C compiler, tests run without it.
RACE      ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null && echo -race)
# Each fuzz target, as package:Target:inputs-for-make-test.
FUZZ_TARGETS := \
	./handler:FuzzDetect:20000x ./handler:FuzzParseRestoreRequests:20000x \
	./events:FuzzDecodeAPIGateway:10000x ./events:FuzzDecodeCMQ:10000x \
	./events:FuzzDecodeTimer:10000x ./events:FuzzDecodeAlarm:10000x \
	./handler:FuzzDecodeFunctionURL:10000x ./handler:FuzzDecodeCKafka:10000x \
	./handler:FuzzDecodeEventBridge:10000x \
	./handler:FuzzWebhookSignature:3000x ./handler:FuzzInvoke:1000x

.PHONY: all build package run run-life test unit fuzz fuzz-short bench vet deploy rollback destroy clean policy nodesdk redis

all: test build

## build: the function for SCF (linux/amd64, static, stripped)
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN) .

## package: the deployment zip, main at its root with its exec bit
package: build
	$(GO) run ./cmd/pack -o $(ZIP) $(BIN)

# Yes-or-no variables (DRY_RUN, APPROVE, AUTO_APPROVE) reach the Go tools as
# they are written; the tools read them as every setting is read
# (config.ParseBool: true/false, 1/0, yes/no, on/off, any case) and refuse
# anything else, so DRY_RUN=TRUE is a dry run and DRY_RUN=ture an error.
yesno = $(if $(strip $($(1))),-$(2)=$(strip $($(1))))

## run: build, start the emulator with demo data, invoke as SCF would with $(EVENT); only ENV_FILE's settings and DRY_RUN, APPROVE reach the function, never the shell's RESTORE_*; exits 1 if a restore failed
run: build
	$(GO) run ./cmd/localrun -bin $(BIN) -event $(EVENT) $(if $(ENV_FILE),-env-file $(ENV_FILE)) $(call yesno,DRY_RUN,dry-run) $(call yesno,APPROVE,approve)

## run-life: as run, then the sweep timer every second until the restore's end: its messages in order (accepted, started, succeeded) and the undo request
run-life: build
	$(GO) run ./cmd/localrun -bin $(BIN) -event $(EVENT) $(if $(ENV_FILE),-env-file $(ENV_FILE)) $(call yesno,DRY_RUN,dry-run) -life

## test: vet and staticcheck, every test with -race (emulator, SCF driver, end to end, fault suite), each fuzz target on a few thousand inputs
test: vet nodesdk unit fuzz-short

## nodesdk: where node is, Tencent's Node.js SDK (test only: cmd/cloudemu checks it against the emulator); make test needs it there
NODESDK := tools/nodesdk
nodesdk:
	@if ! command -v npm >/dev/null; then echo "nodesdk: no node/npm here: the Node.js SDK test (cmd/cloudemu) will skip"; \
	elif [ $(NODESDK)/node_modules/.package-lock.json -nt $(NODESDK)/package-lock.json ]; then :; \
	else cd $(NODESDK) && npm ci --no-audit --no-fund; fi

# staticcheck runs from the module proxy at a pinned version, so that the
# function's go.mod lists only what the deployed binary uses.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## redis: install redis-server (Debian's package), which the data tests run, if it is missing: as root with apt-get, else say the command
# RUNLEVEL=1: the package's install script starts no redis-server service.
redis:
	@command -v redis-server >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing redis-server (Debian's package) for the data tests"; \
		export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1; \
		apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }; \
	else \
		echo "the data tests need redis-server; install it with: sudo apt-get install -y redis-server" >&2; exit 1; \
	fi

# The fault suite runs on its own, verbose, so that its figures are printed.
# The data tests fail, rather than skip, without redis-server (redistest).
unit: export REDIS_RESTORE_REQUIRE_REDIS = 1
unit: redis
	NODESDK_REQUIRED=$$(command -v npm >/dev/null && echo 1) $(GO) test $(RACE) -count=1 -skip '^(TestFaultSuite|TestLifeSuite|TestSeamsSuite)' ./...
	set -o pipefail; $(GO) test $(RACE) -count=1 -v -run '^TestFaultSuite' ./handler | grep -E '^(FAULT-SUITE|--- |ok|FAIL|PASS)|_test.go'
	set -o pipefail; $(GO) test $(RACE) -count=1 -v -run '^TestLifeSuite$$' ./handler | grep -E '(LIFE-SUITE|^--- |^ok|^FAIL|^PASS)|_test.go'
	set -o pipefail; $(GO) test $(RACE) -count=1 -v -run '^TestSeamsSuite$$' ./handler | grep -E '(SEAMS-SUITE|^--- |^ok|^FAIL|^PASS)|_test.go'

fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		IFS=: read -r pkg name n <<< "$$t"; \
		echo "fuzz $$pkg $$name for $$n inputs"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$name$$" -fuzztime=$$n; \
	done

## fuzz: each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		IFS=: read -r pkg name n <<< "$$t"; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME); \
	done

## bench: measure cold start, latency, memory, size, throughput; writes BENCHMARKS.md
bench: build package
	$(GO) run ./cmd/bench -bin $(BIN) -zip $(ZIP) -o BENCHMARKS.md

## policy: the least-privilege CAM policy for the configuration in the environment
## (TENCENTCLOUD_UIN, TENCENTCLOUD_REGION, RESTORE_*); POLICY_FLAGS='-for assumed-role' for RESTORE_ROLE_ARN's role
policy:
	@$(GO) run ./cmd/policy $(POLICY_FLAGS)

## deploy: package; show the account, region, function and plan; ask; then create or update the function, publish a version, point the alias at it, bind the triggers to it (DRY_RUN=1: plan only; AUTO_APPROVE=1: do not ask). docs/deploy.md
deploy: package
	$(GO) run ./cmd/deploy deploy -config serverless.yml -zip $(ZIP) $(call yesno,DRY_RUN,dry-run) $(call yesno,AUTO_APPROVE,yes)

## rollback: point the alias (and every trigger) back at the previous version, or at TO=<version>; asks first
rollback:
	$(GO) run ./cmd/deploy rollback -config serverless.yml $(if $(TO),-to $(TO)) $(call yesno,DRY_RUN,dry-run) $(call yesno,AUTO_APPROVE,yes)

## destroy: remove what make deploy made (its triggers; the function if it created it), nothing else; asks first
destroy:
	$(GO) run ./cmd/deploy destroy -config serverless.yml $(call yesno,DRY_RUN,dry-run) $(call yesno,AUTO_APPROVE,yes)

clean:
	rm -rf $(DIST)
