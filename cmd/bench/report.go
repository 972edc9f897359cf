package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Targets of the issue. MB is read as 10^6 bytes, the stricter reading;
// SCF's memory sizes are MiB.
const (
	targetPing     = 10 * time.Millisecond
	targetOverhead = time.Millisecond
	targetRSS      = 25e6
	targetZip      = 6e6
	scfMemory      = 64 << 20
	limitSeconds   = 5.0 // 100 requests at 20 a second
	limitTolerance = 0.10
)

// target is one line of the summary.
type target struct {
	what, figure, goal string
	ok                 bool
}

func (r *report) targets() []target {
	var ts []target
	if r.cold != nil {
		s := summarize(durations(pingsOf(r.cold.Runs)))
		ts = append(ts, target{"Cold start to first answered Ping", "median " + ms(s.Median), "< 10 ms", s.Median < ms64(targetPing)})
	}
	if r.warm != nil {
		for _, k := range r.warm.Kinds {
			if k.Records != 1 || len(k.Overhead) == 0 {
				continue
			}
			s := summarize(durations(k.Overhead))
			ts = append(ts, target{"Warm overhead above the emulator, " + k.Name, "p50 " + ms(s.Median) + " (p99 " + ms(s.P99) + ")", "< 1 ms", s.Median < ms64(targetOverhead)})
		}
	}
	if r.cold != nil {
		s := summarize(hwmOf(r.cold.Runs))
		ts = append(ts, target{"Peak RSS, one restore", "max " + mib(s.Max) + " (" + fmt.Sprint(s.N) + " processes)", "< 25 MB", s.Max < targetRSS})
	}
	if r.tput != nil {
		s := summarize(tputHWM(r.tput.Runs))
		ts = append(ts, target{fmt.Sprintf("Peak RSS, %d-record CMQ batch", r.tput.Records), "max " + mib(s.Max) + " (" + fmt.Sprint(s.N) + " processes)", "< 25 MB", s.Max < targetRSS})
	}
	if r.size != nil {
		ts = append(ts, target{"Deployment zip", mibMB(float64(r.size.ZipBytes)), "< 6 MB", float64(r.size.ZipBytes) < targetZip})
	}
	if r.tput != nil {
		s := summarize(tputWall(r.tput.Runs))
		limitHits := 0
		for _, run := range r.tput.Runs {
			limitHits += run.LimitInResults
		}
		ok := math.Abs(s.Median/1000-limitSeconds) <= limitSeconds*limitTolerance
		ts = append(ts, target{fmt.Sprintf("%d-record batch at 20 RestoreInstance/s", r.tput.Records), "median " + ms(s.Median), "within 10% of 5 s", ok})
		ts = append(ts, target{"RequestLimitExceeded reaching a result", fmt.Sprint(limitHits), "0", limitHits == 0})
	}
	if r.callback != nil {
		s := summarize(durations(r.callback.Answers))
		ts = append(ts, target{"Alarm callback answer, every cloud call 2 s late", "median " + ms(s.Median) + " (p99 " + ms(s.P99) + ")", "< 1 s", s.P99 < 1000})
	}
	return ts
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func hwmOf(rs []coldRun) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = float64(r.HWM)
	}
	return out
}

func tputHWM(rs []tputRun) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = float64(r.HWM)
	}
	return out
}

func tputWall(rs []tputRun) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = ms64(r.Wall)
	}
	return out
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	o := r.opts

	p("# Benchmarks")
	p("")
	p("Written by `make bench` (`cmd/bench`) on %s, in %s. Regenerate with `make bench`; every figure below comes from that one run.", r.started.UTC().Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second))
	p("The figures are from a shared, noisy machine: compare them with the targets, and between runs only with care (the load average is below).")
	p("")
	if len(r.errors) > 0 {
		p("> **Some measurements failed:**")
		for _, e := range r.errors {
			p("> - %s", strings.ReplaceAll(firstLine(e), "|", "\\|"))
		}
		p("")
	}

	p("## Machine")
	p("")
	m := r.machine
	p("| | |")
	p("| --- | --- |")
	p("| CPU | %s (`/proc/cpuinfo`)%s |", m.CPUModel, r.goTestCPU())
	p("| logical CPUs | %d (GOMAXPROCS %d) |", m.CPUs, m.GoMaxProc)
	p("| memory | %s |", m.MemTotal)
	p("| kernel | %s |", m.Kernel)
	p("| Go (benchmark and tests) | %s |", m.GoVersion)
	if r.size != nil && r.size.GoVersion != "" {
		p("| Go (the function binary) | %s, %s |", r.size.GoVersion, r.size.BuildSettings)
	}
	p("| load average (1, 5, 15 min) | %s at the start, %s at the end |", m.LoadStart, m.LoadEnd)
	p("")

	p("## Commands")
	p("")
	p("```sh")
	p("make bench")
	p("# which runs:")
	p("CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' -o dist/main .   # make build")
	p("go run ./cmd/pack -o dist/redis-restore.zip dist/main                                        # make package")
	p("%s", r.cmdline)
	if r.gobench != nil {
		p("# and, from cmd/bench, the micro-benchmarks:")
		p("%s", strings.Join(r.gobench.Args, " "))
	}
	p("```")
	p("")
	p("Settings of this run: %d cold starts (dial every %s), %d warm invocations of each one-record kind %s apart, %d warm %d-record batches, %d throughput runs.",
		o.Starts, o.Poll, o.Warm, o.Gap, o.Batches, o.Records, o.TputRuns)
	p("See `go run ./cmd/bench -h` for the flags.")
	p("")

	p("## Summary")
	p("")
	p("| target | figure | goal | meets target |")
	p("| --- | --- | --- | --- |")
	for _, t := range r.targets() {
		p("| %s | %s | %s | %s |", t.what, t.figure, t.goal, yesNo(t.ok))
	}
	p("")

	r.coldMarkdown(p)
	r.warmMarkdown(p)
	r.memoryMarkdown(p)
	r.sizeMarkdown(p)
	r.tputMarkdown(p)
	r.goBenchMarkdown(p)
	r.callbackMarkdown(p)
	r.methodMarkdown(p)
	return b.String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// row prints a table row of a millisecond sample.
func msRow(p func(string, ...any), what string, xs []float64, goal string, ok *bool) {
	s := summarize(xs)
	meets := "—"
	if ok != nil {
		meets = yesNo(*ok)
	}
	p("| %s | %d | %s | %s | %s – %s | %s – %s | %s | %s |", what, s.N, ms(s.Median), ms(s.P99), ms(s.Min), ms(s.Max), ms(s.P25), ms(s.P75), goal, meets)
}

func (r *report) coldMarkdown(p func(string, ...any)) {
	p("## 1. Cold start")
	p("")
	if r.cold == nil {
		p("Not measured.")
		p("")
		return
	}
	c := r.cold
	p("Each start is a fresh `dist/main` process, timed from just before `exec` until its first answer. The bench starts it through `internal/scfdriver`, dialling its port every %s, so a figure is late by at most about that much; once Ping answers it sends at once an `Invoke` with a timer event restoring an instance of its own against the emulator (DescribeTaskList, RestoreInstance, SendCmqMsg). One unmeasured start ran first to bring the binary into the page cache, as on an SCF host that has just unzipped it.", c.Poll)
	p("")
	p("| measure | starts | median | p99 | min – max | IQR | target | meets target |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- |")
	pings := durations(pingsOf(c.Runs))
	ps := summarize(pings)
	ok := ps.Median < ms64(targetPing)
	msRow(p, "start → first answered `Function.Ping`", pings, "< 10 ms (median)", &ok)
	var inv, first []float64
	var cpu time.Duration
	for _, run := range c.Runs {
		inv = append(inv, ms64(run.Invoke))
		first = append(first, ms64(run.Invoke-run.Ping))
		cpu += run.CPU
	}
	msRow(p, "start → first answered `Function.Invoke` (a restore)", inv, "", nil)
	msRow(p, "the first Invoke alone (Invoke − Ping)", first, "", nil)
	if len(c.Baseline) > 0 {
		msRow(p, "baseline: a minimal scf-go-lib function (`echofn`), start → first answered Ping", durations(pingsOf(c.Baseline)), "", nil)
	}
	p("")
	if len(c.Baseline) > 0 {
		bs := summarize(durations(pingsOf(c.Baseline)))
		p("The baseline is `internal/scfdriver/testdata/echofn`, built with main's flags and started alternately with it: what the machine, the Go runtime and `scf-go-lib` cost before any of this function's code runs. The function's own share of the cold start is therefore about %s (median minus median); the rest is this machine's floor (`exec` of a static binary and the Go runtime's start are slow here: see the load average).",
			ms(ps.Median-bs.Median))
		p("")
	} else if c.BaselineErr != "" {
		p("The baseline function could not be measured: %s", firstLine(c.BaselineErr))
		p("")
	}
	p("CPU time of the function from exec to the first answered Invoke: %s on average (utime+stime of %d processes, read from `/proc/<pid>/stat` after the answer, summed and divided).",
		ms(ms64(cpu)/float64(len(c.Runs))), len(c.Runs))
	p("")
}

func (r *report) warmMarkdown(p func(string, ...any)) {
	p("## 2. Warm invocation")
	p("")
	if r.warm == nil {
		p("Not measured.")
		p("")
		return
	}
	wm := r.warm
	p("One function process, started once and sent %d invocations in all over RPC (`internal/scfdriver`), warm-ups included. The one-record kinds are interleaved (timer, API gateway, CMQ, timer, ...) so that the machine's noise falls on each alike; each invocation starts %s after the previous one answered, because the function's client-side limiter (20 calls a second per API action, burst 1) would otherwise make back-to-back invocations wait for its 50 ms token. Every event restores an instance of its own.", wm.Total, wm.Gap)
	p("")
	p("- **latency**: `Function.Invoke` round trip as the caller sees it.")
	p("- **emulator**: time inside the emulator's `ServeHTTP`, summed over the invocation's requests.")
	p("- **overhead** = latency − emulator: the function's own work plus SCF's RPC, the SDK, loopback HTTP both ways. Target: under 1 ms (p50).")
	if wm.CPUMethod == "schedstat" {
		p("- **CPU/inv**: the function process's CPU time during an invocation: the run time of all its threads in `/proc/<pid>/task/*/schedstat` (nanoseconds), read before and after each. The median, and in brackets the mean, which also holds the few invocations that met a stall of the machine.")
	} else {
		p("- **CPU/inv**: the function process's utime+stime during the kind's invocations (`/proc/<pid>/stat`, 10 ms ticks, read before and after each), divided by their number.")
	}
	p("")
	p("On this shared machine p99 and max are mostly stalls of the machine, not of the function: compare them with the baseline row's, which involves no function. p50 is the figure to compare with the target.")
	p("")
	p("| event | n | latency p50 | latency p99 | latency min – max | emulator p50 | overhead p50 | overhead p99 | API calls/inv | CPU/inv | target | meets target |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, k := range wm.Kinds {
		if len(k.Lat) == 0 {
			continue
		}
		lat := summarize(durations(k.Lat))
		emu := summarize(durations(k.Emu))
		ov := summarize(durations(k.Overhead))
		calls := make([]float64, len(k.Calls))
		for i, c := range k.Calls {
			calls[i] = float64(c)
		}
		cs := summarize(calls)
		cpu := ms64(k.CPU) / float64(len(k.Lat))
		goal, meets, ovp50, ovp99 := "< 1 ms", yesNo(ov.Median < ms64(targetOverhead)), ms(ov.Median), ms(ov.P99)
		cpuText := ms(cpu)
		if wm.CPUMethod == "schedstat" {
			cpuText = fmt.Sprintf("%s (mean %s)", ms(summarize(durations(k.CPUs)).Median), ms(cpu))
		}
		if k.Records > 1 {
			goal, meets, ovp50, ovp99 = "— (see below)", "—", "—", "—"
			cpuText = fmt.Sprintf("%s (%s/record)", ms(cpu), ms(cpu/float64(k.Records)))
		}
		p("| %s | %d | %s | %s | %s – %s | %s | %s | %s | %.0f | %s | %s | %s |", k.Name, lat.N, ms(lat.Median), ms(lat.P99), ms(lat.Min), ms(lat.Max),
			ms(emu.Median), ovp50, ovp99, cs.Median, cpuText, goal, meets)
	}
	if d := wm.Direct; d != nil && len(d.Lat) > 0 {
		lat, emu, ov := summarize(durations(d.Lat)), summarize(durations(d.Emu)), summarize(durations(d.Overhead))
		p("| %s | %d | %s | %s | %s – %s | %s | %s | %s | %d | — | — | — |", d.Name, lat.N, ms(lat.Median), ms(lat.P99), ms(lat.Min), ms(lat.Max), ms(emu.Median), ms(ov.Median), ms(ov.P99), d.Calls[0])
	}
	p("")
	ping := summarize(durations(wm.PingRTT))
	p("RPC floor: a `Function.Ping` round trip to the same process takes %s (p50), %s (p99) over %d pings; it is part of every overhead above.", ms(ping.Median), ms(ping.P99), ping.N)
	p("")
	if d := wm.Direct; d != nil && len(d.Lat) > 0 && len(wm.Kinds) > 0 && len(wm.Kinds[0].Overhead) > 0 {
		base := summarize(durations(d.Overhead)).Median
		timer := summarize(durations(wm.Kinds[0].Overhead)).Median
		p("The baseline row makes the timer's three API calls (DescribeTaskList, RestoreInstance, SendCmqMsg) from the benchmark's process with `internal/cloud`, the function's own client code, interleaved with the invocations: its overhead (%s) is what the SDK, the HTTP client and loopback cost on this machine for those calls alone. What the function adds beyond that and the RPC floor is about %s at p50 for a timer event (%s − %s − %s): decoding, configuration, checks, logging and answering, and the wake-ups of a second process for each of its HTTP exchanges, which the baseline, in the emulator's own process, does not pay. Compare `BenchmarkInvoke/timer` in section 6 (the whole handler in process, back to back).",
			ms(base), ms(timer-base-ping.Median), ms(timer), ms(base), ms(ping.Median))
		p("")
	}
	for _, k := range wm.Kinds {
		if k.Records > 1 && len(k.Lat) > 0 {
			p("The %d-record batch is bound by the function's own client-side limiter, not by its work: each of its %d restores makes one DescribeTaskList, one RestoreInstance and one SendCmqMsg, and each action is paced at 20 a second, so the batch cannot take less than about %.2f s. Its overhead above the emulator is therefore not a meaningful figure; its CPU time is.",
				k.Records, k.Records, float64(k.Records-1)/20)
			p("")
		}
	}
	p("The in-process cost of one invocation, without SCF's RPC and without the limiter, is `BenchmarkInvoke` in section 6.")
	p("")
}

func (r *report) memoryMarkdown(p func(string, ...any)) {
	p("## 3. Memory")
	p("")
	p("Peak resident set size of the function process: `VmHWM` of `/proc/<pid>/status`, read while the process still runs, right after the answer. SCF's smallest memory size is 64 MB; the target is under 25 MB.")
	p("")
	p("| scenario | processes | median | max | target | meets target | max as share of 64 MiB |")
	p("| --- | --- | --- | --- | --- | --- | --- |")
	row := func(what string, xs []float64, goal bool) {
		s := summarize(xs)
		g, meets := "—", "—"
		if goal {
			g, meets = "< 25 MB", yesNo(s.Max < targetRSS)
		}
		p("| %s | %d | %s | %s | %s | %s | %.0f %% |", what, s.N, mib(s.Median), mib(s.Max), g, meets, 100*s.Max/scfMemory)
	}
	measured := false
	if r.cold != nil {
		idle := make([]float64, len(r.cold.Runs))
		for i, run := range r.cold.Runs {
			idle[i] = float64(run.HWMIdle)
		}
		row("started, first Ping answered (idle)", idle, false)
		if len(r.cold.Baseline) > 0 {
			base := make([]float64, len(r.cold.Baseline))
			for i, run := range r.cold.Baseline {
				base[i] = float64(run.HWMIdle)
			}
			row("baseline: minimal scf-go-lib function (`echofn`), idle", base, false)
		}
		row("one restore (a fresh process's first Invoke, section 1)", hwmOf(r.cold.Runs), true)
		measured = true
	}
	if r.tput != nil {
		row(fmt.Sprintf("one %d-record CMQ batch (a fresh process each, section 5)", r.tput.Records), tputHWM(r.tput.Runs), true)
		measured = true
	}
	if r.warm != nil {
		row(fmt.Sprintf("the warm process after its %d invocations (section 2)", r.warm.Total), []float64{float64(r.warm.HWMAfter)}, false)
		measured = true
	}
	if !measured {
		p("| not measured | | | | | | |")
	}
	p("")
	p("MB is 10^6 bytes, the stricter reading of the targets; MiB is 2^20.")
	p("")
}

func (r *report) sizeMarkdown(p func(string, ...any)) {
	p("## 4. Size")
	p("")
	if r.size == nil {
		p("Not measured.")
		p("")
		return
	}
	s := r.size
	p("| artefact | bytes | size | target | meets target |")
	p("| --- | --- | --- | --- | --- |")
	p("| `%s` (stripped: %s) | %d | %s | — | — |", s.Bin, s.StrippedNote, s.BinBytes, mibMB(float64(s.BinBytes)))
	p("| `%s` (deployment zip) | %d | %s | < 6 MB | %s |", s.Zip, s.ZipBytes, mibMB(float64(s.ZipBytes)), yesNo(float64(s.ZipBytes) < targetZip))
	p("")
	p("The zip holds: %s.", strings.Join(s.ZipEntries, "; "))
	if s.MainUncompBytes != 0 && s.MainUncompBytes != uint64(s.BinBytes) {
		p("")
		p("**Note:** the zip's `main` (%d bytes) is not the `%s` measured above (%d bytes): the zip is stale.", s.MainUncompBytes, s.Bin, s.BinBytes)
	}
	if !s.Stripped {
		p("")
		p("**Note:** `%s` is not stripped (%s).", s.Bin, s.StrippedNote)
	}
	p("")
}

func (r *report) tputMarkdown(p func(string, ...any)) {
	p("## 5. Throughput against the API's limit")
	p("")
	if r.tput == nil {
		p("Not measured.")
		p("")
		return
	}
	t := r.tput
	p("The emulator refuses `RestoreInstance` above %d requests in any one-second window (`SetRateLimit`), answering `RequestLimitExceeded`. Each run is a fresh emulator and a fresh function process, sent one CMQ event of %d records, each restoring an instance of its own. %d restores at %d a second take %.0f s; the target is within 10%% of that (%.1f – %.1f s), with no `RequestLimitExceeded` in any result.",
		apiLimit, t.Records, t.Records, apiLimit, limitSeconds, limitSeconds*(1-limitTolerance), limitSeconds*(1+limitTolerance))
	p("")
	p("| run | wall time | results by status | RequestLimitExceeded in results | RestoreInstance requests / restores started / refused | first → last restore | peak RSS | CPU time |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for i, run := range t.Runs {
		p("| %d | %s | %s | %d | %d / %d / %d | %s | %s | %s |", i+1, ms(ms64(run.Wall)), statusText(run.Statuses), run.LimitInResults,
			run.Requests, run.Started, run.Requests-run.Started, ms(ms64(run.Span)), mib(float64(run.HWM)), ms(ms64(run.CPU)))
	}
	p("")
	s := summarize(tputWall(t.Runs))
	hits := 0
	for _, run := range t.Runs {
		hits += run.LimitInResults
		if run.FuncError != "" {
			p("Run failed the invocation (the platform would retry it): `%s`", strings.ReplaceAll(firstLine(truncate([]byte(run.FuncError))), "`", "'"))
			p("")
		}
	}
	ok := math.Abs(s.Median/1000-limitSeconds) <= limitSeconds*limitTolerance
	p("Wall time: median %s, min – max %s – %s over %d runs (%.1f restores a second at the median): within 10%% of 5 s: %s. RequestLimitExceeded reaching a result: %d (%s).",
		ms(s.Median), ms(s.Min), ms(s.Max), s.N, float64(t.Records)/(s.Median/1000), yesNo(ok), hits, yesNo(hits == 0))
	p("")
	p("\"Refused\" counts the RestoreInstance requests the emulator answered with an error (here only its limit can refuse): the function retried them; a refusal reaching a result would show in the results column.")
	p("")
}

func (r *report) goBenchMarkdown(p func(string, ...any)) {
	p("## 6. Go micro-benchmarks")
	p("")
	g := r.gobench
	if g == nil {
		p("Not run.")
		p("")
		return
	}
	p("`%s` (%s including compilation). Each benchmark ran %d times; the table gives the median and the range of ns/op, and the median B/op and allocs/op (`-benchmem`).",
		strings.Join(g.Args, " "), g.Elapsed.Round(time.Second), r.opts.Count)
	p("")
	p("- `events`: `BenchmarkDetect` recognises an event; `BenchmarkDecode` is the handler's whole decoding path for it (Detect, the envelope, every body down to validated restore requests or a decoded alarm); `BenchmarkParseRestoreRequests` validates one request and a batch of 100. `cmq-100` is a generated 100-record CMQ event.")
	p("- `handler`: `BenchmarkInvoke` is one warm `Handler.Invoke` in process against the emulator over loopback HTTP, with the client-side limiter off; `apigw-refused` is a wrongly signed webhook, refused before any cloud call. Its B/op and allocs/op include the emulator's, which runs in the same process.")
	p("")
	p("| package | benchmark | ns/op median | ns/op min – max | B/op | allocs/op |")
	p("| --- | --- | --- | --- | --- | --- |")
	for _, b := range g.Results {
		s := summarize(b.NsOp)
		bo, ao := "—", "—"
		if len(b.BytesOp) > 0 {
			bo = fmt.Sprintf("%.0f", summarize(b.BytesOp).Median)
		}
		if len(b.AllocsOp) > 0 {
			ao = fmt.Sprintf("%.0f", summarize(b.AllocsOp).Median)
		}
		p("| %s | %s | %s | %s – %s | %s | %s |", strings.TrimPrefix(b.Pkg, "redis-restore/"), b.Name, nsText(s.Median), nsText(s.Min), nsText(s.Max), bo, ao)
	}
	p("")
	p("<details><summary>raw <code>go test</code> output</summary>")
	p("")
	p("```")
	p("%s", strings.TrimSpace(g.Raw))
	p("```")
	p("")
	p("</details>")
	p("")
}

func (r *report) methodMarkdown(p func(string, ...any)) {
	p("## How the figures are taken")
	p("")
	p("- The function is the built `dist/main`, started as SCF starts it (`_LAMBDA_SERVER_PORT`) and spoken to over `net/rpc` with `Function.Ping` and `Function.Invoke` (`scf-go-lib`'s protocol, `internal/scfdriver`); every invocation carries the environment SCF hands over (role credentials, `TENCENTCLOUD_ENDPOINT_URL`, `RESTORE_QUEUE`, `RESTORE_WEBHOOK_SECRET`), and `RESTORE_SAFETY_BACKUP=false`: the figures are of the restore itself, not of the safety backup that timers and alarms take first by default.")
	p("- The cloud is `internal/cloudemu` in the benchmark's own process, on loopback, seeded with the demo data plus one password-free instance and backup for every restore, so that no restore repeats one before it (the function refuses to restore an event twice). Events are the fixtures `testdata/timer.json`, `apigw.json` (signed with `X-Restore-Signature`) and `cmq-topic.json` with fresh times, msgIds and instances.")
	p("- Every answer is checked: each restore must come back `accepted`, else the run fails.")
	p("- Percentiles are nearest-rank; IQR is p25 – p75. The emulator and the benchmark share the machine's %d CPUs with the function, as they would not in the cloud.", r.machine.CPUs)
	p("- CPU time per warm invocation is the run time of the function's threads from `/proc/<pid>/task/*/schedstat` (ns), where the kernel has it; the cold start's and the throughput runs' CPU time is utime+stime from `/proc/<pid>/stat` (clock ticks, 10 ms), which covers the process's whole life.")
	p("- Peak RSS is `VmHWM` from `/proc/<pid>/status`.")
	p("")
}

// goTestCPU is the CPU as Go's testing names it (from CPUID), which is
// often more telling than /proc/cpuinfo in a VM.
func (r *report) goTestCPU() string {
	if r.gobench == nil {
		return ""
	}
	for _, line := range strings.Split(r.gobench.Raw, "\n") {
		if v, ok := strings.CutPrefix(line, "cpu: "); ok {
			return "; " + strings.TrimSpace(v) + " (Go's `testing`)"
		}
	}
	return ""
}
