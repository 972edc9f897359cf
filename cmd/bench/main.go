// Command bench is `make bench`: it measures the built function the way SCF
// runs it (a process spoken to over net/rpc, internal/scfdriver) against
// the cloud emulator (internal/cloudemu), runs the Go micro-benchmarks, and
// writes BENCHMARKS.md: cold start, warm invocations, memory, size,
// throughput against the API's limit, alarm callbacks against a slow cloud,
// a fleet at the account's limits, API calls per restore.
//
// It is a benchmark, not a test: a missed target is reported in the file,
// not by the exit status, which is non-zero only when something could not
// be measured (the function failed, a restore was not accepted, ...).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The settings of a run; the Makefile sets only -bin, -zip and -o.
const (
	testdata  = "testdata" // the event fixtures used as templates
	poll      = 250 * time.Microsecond
	gap       = 110 * time.Millisecond // between warm invocations: the client-side pace of the queue's sends is 100 ms a token
	batches   = 3                      // warm 100-record CMQ batches (about 10 s each: the queue's pace)
	records   = 100                    // records of a CMQ batch
	tputRuns  = 3                      // throughput runs, each a fresh process and emulator
	callbacks = 10                     // alarms, each posted twice
	benchtime = "50ms"
	count     = 5 // runs of each micro-benchmark
)

var goBenchPkgs = []string{"./events/", "./handler/"}

// report is everything measured; a nil section was not measured.
type report struct {
	machine     machine
	started     time.Time
	elapsed     time.Duration
	starts      int
	cmdline     string
	size        *sizeSection
	cold        *coldSection
	warm        *warmSection
	tput        *tputSection
	callback    *callbackSection
	fleet       *fleetSection
	fleetReq    *fleetRequestSection // fleetrequest.go
	fleetSafety *fleetSafetySection  // fleetsafety.go
	calls       *callsSection
	gobench     *goBenchSection
	errors      []string
}

func main() {
	bin := flag.String("bin", "dist/main", "the built function (make build)")
	zipPath := flag.String("zip", "dist/redis-restore.zip", "the deployment zip (make package)")
	out := flag.String("o", "BENCHMARKS.md", "report to write")
	starts := flag.Int("starts", 25, "cold starts to measure (at least 20 for the target's median)")
	warm := flag.Int("warm", 100, "warm invocations of each one-record event kind")
	fleetN := flag.Int("fleet", 1000, "instances of the fleet section, one alarm each")
	fleetC := flag.Int("fleet-containers", 16, "function processes the fleet's alarms are delivered to at once")
	fleetOnly := flag.Bool("fleet-only", false, "measure only the fleet section")
	fleetQueue := flag.String("fleet-queue-api", "dataflow", "RESTORE_QUEUE_API of the fleet section: dataflow (docs/fleet.md: a fleet's messages) or cloudapi")
	callsOnly := flag.Bool("calls-only", false, "measure only the API calls per restore")
	fleetRequestOnly := flag.Bool("fleet-request-only", false, "measure only the fleet request (section 8b)")
	fleetSafetyOnly := flag.Bool("fleet-safety-only", false, "measure only the fleet's alarms with safety backups on (section 8c)")
	flag.Parse()
	if *starts < 1 || *warm < 1 || *fleetN < 1 || *fleetC < 1 {
		fmt.Fprintln(os.Stderr, "bench: -starts, -warm, -fleet and -fleet-containers must be positive")
		os.Exit(2)
	}
	if *fleetQueue != "dataflow" && *fleetQueue != "cloudapi" {
		fmt.Fprintln(os.Stderr, "bench: -fleet-queue-api must be dataflow or cloudapi")
		os.Exit(2)
	}
	if !run(*bin, *zipPath, *out, settings{*starts, *warm, *fleetN, *fleetC, *fleetQueue, *fleetOnly, *callsOnly, *fleetRequestOnly, *fleetSafetyOnly}) {
		os.Exit(1)
	}
}

// settings are the command line's counts.
type settings struct {
	starts, warm   int
	fleetN, fleetC int
	fleetQueue     string // RESTORE_QUEUE_API
	fleetOnly      bool
	callsOnly      bool
	fleetReqOnly   bool
	fleetSafeOnly  bool
}

func run(binPath, zipPath, out string, set settings) bool {
	starts, warm := set.starts, set.warm
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench [%5.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	r := &report{machine: readMachine(), started: began, starts: starts,
		cmdline: strings.Join(append([]string{"go run ./cmd/bench"}, os.Args[1:]...), " ")}
	fail := func(what string, err error) {
		logf("%s: %v", what, err)
		r.errors = append(r.errors, fmt.Sprintf("%s: %v", what, err))
	}
	bin, err := filepath.Abs(binPath)
	if err != nil {
		fail("binary", err)
	}
	if set.callsOnly {
		if r.calls, err = runCalls(bin, testdata, logf); err != nil {
			fail("API calls per restore", err)
		}
		return finish(r, out, began, logf)
	}
	if set.fleetReqOnly {
		r.fleetReq = measureFleetRequest(bin, set, logf, fail)
		return finish(r, out, began, logf)
	}
	if set.fleetSafeOnly {
		if r.fleetSafety, err = runFleetSafety(bin, set.fleetN, set.fleetC, set.fleetQueue, logf); err != nil {
			fail("fleet, safety backups on", err)
		}
		return finish(r, out, began, logf)
	}
	if set.fleetOnly {
		if r.fleet, err = runFleet(bin, set.fleetN, set.fleetC, set.fleetQueue, logf); err != nil {
			fail("fleet", err)
		}
		return finish(r, out, began, logf)
	}
	if r.size, err = measureSizes(binPath, zipPath); err != nil {
		fail("size", err)
	}

	if w, err := newWorld(testdata); err != nil {
		fail("emulator", err)
	} else {
		baseline := ""
		if dir, err := os.MkdirTemp("", "bench-baseline-"); err == nil {
			defer os.RemoveAll(dir)
			if baseline, err = buildBaseline(dir); err != nil {
				logf("%v (the cold start is measured without it)", err)
			}
		}
		if r.cold, err = runColdStarts(bin, baseline, w, starts, logf); err != nil {
			fail("cold start", err)
		}
		if r.warm, err = runWarm(bin, w, warm, logf); err != nil {
			fail("warm invocations", err)
		}
		w.Close()
	}
	if r.tput, err = runThroughput(bin, logf); err != nil {
		fail("throughput", err)
	}
	if r.callback, err = runCallbacks(bin, logf); err != nil {
		fail("alarm callbacks", err)
	}
	if r.fleet, err = runFleet(bin, set.fleetN, set.fleetC, set.fleetQueue, logf); err != nil {
		fail("fleet", err)
	}
	r.fleetReq = measureFleetRequest(bin, set, logf, fail)
	if r.calls, err = runCalls(bin, testdata, logf); err != nil {
		fail("API calls per restore", err)
	}
	if r.gobench, err = runGoBench(); err != nil {
		fail("go micro-benchmarks", err)
	}
	return finish(r, out, began, logf)
}

// finish writes the report and prints the targets.
func finish(r *report, out string, began time.Time, logf func(string, ...any)) bool {
	r.machine.LoadEnd = loadAvg()
	r.elapsed = time.Since(began)
	if err := os.WriteFile(out, []byte(r.markdown()+keptSection(out)), 0o644); err != nil {
		logf("write report: %v", err)
		return false
	}
	logf("wrote %s in %s", out, r.elapsed.Round(time.Second))
	for _, t := range r.targets() {
		logf("target %-45s %-28s meets: %v", t.what, t.figure, t.ok)
	}
	return len(r.errors) == 0
}

// keptHeadings start the sections recorded by hand from other commands'
// output (make mutate's score, a drill's RTO from its test): not measured
// here, so carried over from the report being replaced.
var keptHeadings = []string{"## Mutation score", "## Restore drill"}

// keptSection returns the kept sections of the file at path, each from its
// heading to the next heading or the end, or "" when there is none.
func keptSection(path string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	text := string(old)
	out := ""
	for _, h := range keptHeadings {
		i := strings.Index(text, "\n"+h)
		if i < 0 {
			continue
		}
		section := text[i+1:]
		if j := strings.Index(section[len(h):], "\n## "); j >= 0 {
			section = section[:len(h)+j+1]
		}
		out += "\n" + strings.TrimRight(section, "\n") + "\n"
	}
	return out
}
