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

.PHONY: all build package run run-life run-fleet test unit fuzz fuzz-short bench vet deploy rollback destroy clean policy nodesdk redis soak mutate

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

## run-fleet: build, then one fleet request for FLEET instances (default 20) on the emulator under the account's API limits, its members handed out to 4 function processes: the fleet's progress messages as they come, to its completed summary; exits 1 if any member was not restored exactly once
FLEET ?= 20
run-fleet: build
	$(GO) run ./cmd/localrun -bin $(BIN) -fleet $(FLEET) $(if $(ENV_FILE),-env-file $(ENV_FILE))

## test: vet and staticcheck, every test with -race (emulator, SCF driver, end to end, fault suite), each fuzz target on a few thousand inputs
# vet, the tests and the fuzz targets run at once, each one's output kept
# together: much of their time is spent waiting (emulated tasks, links), and
# a machine of two cores does the three in little more than the longest.
#
# -trimpath (through GOFLAGS, so that the tools and the tests' own go build
# take it too) keeps the clone's folder out of the build cache's keys: a new
# clone or worktree reuses what another compiled, instead of compiling every
# package again, with the race detector and for fuzzing.
#
# vet and the fuzz targets run at a lower priority (NICE): they only
# compute, while the tests wait on time; the CPU goes to the tests first,
# and vet and fuzzing take what the tests leave while they wait.
test: export GOFLAGS := $(strip $(GOFLAGS) -trimpath)
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target NICE='nice -n 10' vet unit fuzz-short

## nodesdk: where node is, Tencent's Node.js SDK (test only: cmd/cloudemu checks it against the emulator); make test needs it there
NODESDK := tools/nodesdk
nodesdk:
	@if ! command -v npm >/dev/null; then echo "nodesdk: no node/npm here: the Node.js SDK test (cmd/cloudemu) will skip"; \
	elif [ $(NODESDK)/node_modules/.package-lock.json -nt $(NODESDK)/package-lock.json ]; then :; \
	else cd $(NODESDK) && npm ci --prefer-offline --no-audit --no-fund; fi

# staticcheck runs from the module proxy at a pinned version, so that the
# function's go.mod lists only what the deployed binary uses.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

NICE ?=
vet:
	$(NICE) $(GO) vet ./...
	$(NICE) $(GO) run $(STATICCHECK) ./...

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

# Most tests wait on emulated tasks and timeouts rather than compute:
# PARALLEL lets that many run at once, beyond the default of one per core,
# and PACKAGES that many test binaries (and builds) at once.
PARALLEL ?= 16
PACKAGES ?= 4
SUITES   := ^(TestFaultSuite|TestLifeSuite)
SEAMS    := ^TestSeamsSuite$$

# The handler's tests come first on the command line, so that go test
# starts the longest package first and the others run beside it. Then the
# fault and life suites and, beside them, the seams suite: two processes
# of one handler test binary, built once, each logged whole in dist/ and
# its figures printed. The suites run after the other tests, not among
# them, so that their timing (emulated tasks, sweeps, the seams' outage)
# is not squeezed by the other packages' builds and tests. The data tests
# fail, rather than skip, without redis-server (redistest).
SUITES_LOGS := $(DIST)/fault-suites.log $(DIST)/seams-suite.log
unit: export REDIS_RESTORE_REQUIRE_REDIS = 1
unit: redis nodesdk
	@mkdir -p $(DIST)
	NODESDK_REQUIRED=$$(command -v npm >/dev/null && echo 1) $(GO) test $(RACE) -count=1 -p $(PACKAGES) -parallel $(PARALLEL) -skip '$(SUITES)|$(SEAMS)' ./handler ./...
	$(GO) test $(RACE) -c -o $(DIST)/handler-suites.test ./handler
	@echo "the fault and life suites ($(SUITES)) and, beside them, the seams suite; logs: $(SUITES_LOGS)"
	@cd handler && bin=$(CURDIR)/$(DIST)/handler-suites.test; \
	$$bin -test.count=1 -test.v -test.parallel $(PARALLEL) -test.run '$(SUITES)' > $(CURDIR)/$(DIST)/fault-suites.log 2>&1 & fault=$$!; \
	$$bin -test.count=1 -test.v -test.run '$(SEAMS)' > $(CURDIR)/$(DIST)/seams-suite.log 2>&1; seams=$$?; \
	wait $$fault; fault=$$?; \
	cd $(CURDIR) && grep -hE '(FAULT-SUITE|LIFE-SUITE|SEAMS-SUITE|^--- |^ok|^FAIL|^PASS)|_test.go' $(SUITES_LOGS); \
	test $$fault = 0 && test $$seams = 0

## soak: the fault suites N times in a row (make soak N=20), each run's figures, then the runs that failed and the totals
N ?= 10
soak:
	@mkdir -p $(DIST)
	$(GO) test $(RACE) -c -o $(DIST)/handler.test ./handler
	@set -o pipefail; failed=0; : > $(DIST)/soak.log; \
	for i in $$(seq 1 $(N)); do \
		echo "== soak run $$i of $(N)" | tee -a $(DIST)/soak.log; \
		if (cd handler && ../$(DIST)/handler.test -test.count=1 -test.parallel $(PARALLEL) -test.v -test.run '$(SUITES)|$(SEAMS)') 2>&1 \
			| grep -E '(FAULT-SUITE|LIFE-SUITE|SEAMS-SUITE|^--- |^FAIL|^PASS)|_test.go' | tee -a $(DIST)/soak.log; \
		then :; else failed=$$((failed+1)); echo "== soak run $$i FAILED" | tee -a $(DIST)/soak.log; fi; \
	done; \
	echo "== soak: $$failed of $(N) runs failed"; \
	grep -E '^== soak run [0-9]+ FAILED' $(DIST)/soak.log || true; \
	awk '{ suite = (/LIFE-SUITE/ ? "life" : (/SEAMS-SUITE/ ? "seams" : (/FAULT-SUITE flapping/ ? "flapping" : "fault"))); \
		for (i = 1; i <= NF; i++) if ($$i ~ /^(lost|double-restores|double-safety-backups|double-clones|two-outcomes|still-unknown|silently-dropped|forged-restored|panics|restores|safety-backups|faults-injected)=[0-9]+$$/) { \
		split($$i, kv, "="); sum[suite ":" kv[1]] += kv[2] } } \
		/completions lost: [0-9]+/ { sum["life:completions-lost"] += $$NF } \
		END { for (k in sum) print k "=" sum[k] }' $(DIST)/soak.log | sort | tr '\n' ' ' | sed 's/^/== soak totals: /; s/ *$$/\n/'; \
	test $$failed -eq 0

## mutate: mutation testing (gremlins) of internal/restore and handler's pure parts: each package's score and its surviving mutants
# gremlins runs from the module proxy at a pinned version, as staticcheck
# does. It mutates one package at a time and runs that package's tests: the
# handler's less the fault suites and the life-cycle tests (make soak runs
# the suites; the life cycle lives in the files left out), uncached, without
# vet. The handler's files that run restores (jobs, service, sweep, status,
# approve, handoff, handler, rpc) are left out: their mutants need the
# suites to be judged, minutes a mutant.
GREMLINS := github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_HANDLER_SKIP := (jobs|service|sweep|status|approve|handoff|handler|rpc)\.go$$
MUTATE_TESTS_SKIP := ^(TestFaultSuite|TestLifeSuite|TestSeamsSuite|TestFlapping|TestSafetyBackupListed|TestRedeliveriesTakeOne|TestSweepFollows|TestApprovedPlanTakes|TestTimerRestoreTakesASafety|TestSucceededOnly|TestFailedSafetyBackup|TestCloneMode|TestFailedRestoreTask)
mutate:
	@mkdir -p $(DIST)
	GOFLAGS='-vet=off -count=1' $(GO) run $(GREMLINS) unleash --workers 2 --timeout-coefficient 30 -S lt ./internal/restore 2>&1 | tee $(DIST)/mutate-restore.txt
	GOFLAGS='-vet=off -count=1 -skip=$(MUTATE_TESTS_SKIP) -parallel=$(PARALLEL)' $(GO) run $(GREMLINS) unleash --workers 2 --timeout-coefficient 6 -S lt \
		-E '$(MUTATE_HANDLER_SKIP)' ./handler 2>&1 | tee $(DIST)/mutate-handler.txt
	@echo "== internal/restore"; grep -E '^(Killed|Test efficacy|Mutator coverage)' $(DIST)/mutate-restore.txt
	@echo "== handler (pure parts)"; grep -E '^(Killed|Test efficacy|Mutator coverage)' $(DIST)/mutate-handler.txt

# One fuzzing test binary per package, built once (go test -c -fuzz builds
# it instrumented for coverage) and run for each of its targets, with the
# corpus cache that go test -fuzz uses: go test -fuzz built and linked a
# binary for each of the eleven targets (6 s each for the handler's), and
# the targets run on as many inputs as before.
FUZZCACHE = $(shell $(GO) env GOCACHE)/fuzz/redis-restore
fuzz-short:
	@set -e; mkdir -p $(DIST); built=; for t in $(FUZZ_TARGETS); do \
		IFS=: read -r pkg name n <<< "$$t"; dir=$${pkg#./}; \
		case " $$built " in *" $$dir "*) ;; *) \
			$(NICE) $(GO) test -c -fuzz=. -o $(DIST)/$$dir-fuzz.test $$pkg; built="$$built $$dir";; esac; \
		echo "fuzz $$pkg $$name for $$n inputs"; \
		(cd $$dir && $(NICE) $(CURDIR)/$(DIST)/$$dir-fuzz.test -test.run='^$$' -test.fuzz="^$$name$$" -test.fuzztime=$$n \
			-test.fuzzcachedir=$(FUZZCACHE)/$$dir -test.paniconexit0); \
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
