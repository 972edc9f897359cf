package main_test

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"redis-restore/handler"
)

// serverless.yml is what `make deploy` deploys: a wrong handler, runtime,
// timer argument or trigger type fails only in the cloud, so it is checked
// here (internal/deploy checks the rest as it parses it).
func TestServerlessYAML(t *testing.T) {
	raw, err := os.ReadFile("serverless.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Component string `yaml:"component"`
		Inputs    struct {
			Handler    string `yaml:"handler"`
			Runtime    string `yaml:"runtime"`
			Role       string `yaml:"role"`
			MemorySize int    `yaml:"memorySize"`
			Reserved   *int   `yaml:"reservedConcurrencyMem"`
			VpcConfig  *struct {
				VpcID    string `yaml:"vpcId"`
				SubnetID string `yaml:"subnetId"`
			} `yaml:"vpcConfig"`
			Timeout     int `yaml:"timeout"`
			Environment struct {
				Variables map[string]string `yaml:"variables"`
			} `yaml:"environment"`
			Events []map[string]struct {
				Parameters map[string]any `yaml:"parameters"`
			} `yaml:"events"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	in := doc.Inputs
	if doc.Component != "scf" || in.Handler != "main" || in.Runtime != "Go1" || in.Role == "" {
		t.Errorf("component %q handler %q runtime %q role %q", doc.Component, in.Handler, in.Runtime, in.Role)
	}
	if in.MemorySize != 64 && (in.MemorySize < 128 || in.MemorySize > 3072 || in.MemorySize%128 != 0) {
		t.Errorf("memorySize %d is not a size SCF offers", in.MemorySize)
	}
	// What a real deployment of this function needs is there to be filled
	// in: reserved concurrency (room for the sweep and the hand-offs) and
	// the VPC of the instances.
	if in.Reserved == nil || *in.Reserved < in.MemorySize || *in.Reserved%in.MemorySize != 0 {
		t.Errorf("reservedConcurrencyMem %v: want whole instances of %d MB", in.Reserved, in.MemorySize)
	}
	if in.VpcConfig == nil {
		t.Error("no vpcConfig to fill in")
	}
	if in.Timeout < 1 || in.Timeout > 900 {
		t.Errorf("timeout %d", in.Timeout)
	}
	v := in.Environment.Variables
	if (v["RESTORE_QUEUE"] == "") == (v["RESTORE_TOPIC"] == "") {
		t.Errorf("want exactly one of RESTORE_QUEUE and RESTORE_TOPIC: %v", v)
	}
	triggers := map[string]map[string]any{}
	var timers []map[string]any
	for _, ev := range in.Events {
		for kind, body := range ev {
			triggers[kind] = body.Parameters
			if kind == "timer" {
				timers = append(timers, body.Parameters)
			}
		}
	}
	// SCF creates only cos, cls, timer, ckafka and http (function URL)
	// triggers now: the webhook and alarm callbacks come by function URL.
	for _, kind := range []string{"timer", "http"} {
		if triggers[kind] == nil {
			t.Errorf("no %s trigger", kind)
		}
	}
	for kind := range triggers {
		if kind == "apigw" || kind == "cmq" {
			t.Errorf("a %s trigger: SCF can no longer create one", kind)
		}
	}
	url := triggers["http"]
	net, _ := url["netConfig"].(map[string]any)
	if url["authType"] != "NONE" && url["authType"] != "CAM" {
		t.Errorf("function URL authType %v, want NONE (the function authenticates callers) or CAM", url["authType"])
	}
	if net["enableExtranet"] != true && net["enableIntranet"] != true {
		t.Errorf("function URL netConfig %v: reachable from nowhere", net)
	}
	sweeps := 0
	for _, timer := range timers {
		if cron, _ := timer["cronExpression"].(string); len(strings.Fields(cron)) != 7 {
			t.Errorf("cronExpression %q: SCF wants seven fields", cron)
		}
		arg, _ := timer["argument"].(string)
		enabled, _ := timer["enable"].(bool)
		if arg == `{"sweep":true}` {
			if !enabled {
				t.Error("the sweep timer is disabled: accepted restores would never go ahead or be reported")
			}
			// The sweep (docs/lifecycle.md) fires every minute:
			// RESTORE_SWEEP_EVERY says so to the function.
			sweeps++
			if cron, _ := timer["cronExpression"].(string); cron != "0 */1 * * * * *" || v["RESTORE_SWEEP_EVERY"] != "1m" {
				t.Errorf("the sweep timer %q and RESTORE_SWEEP_EVERY %q disagree: want every minute", cron, v["RESTORE_SWEEP_EVERY"])
			}
			continue
		}
		reqs, err := handler.ParseRequests([]byte(arg))
		if err != nil || len(reqs) == 0 {
			t.Fatalf("the timer's argument %q is not a valid restore request: %v", arg, err)
		}
		if reqs[0].Password != "" {
			t.Error("the timer's argument holds a password")
		}
		// Safe as shipped: a timer that restores is an example, disabled;
		// whoever enables it has read what it restores.
		if enabled {
			t.Errorf("the timer %v restores %s by itself and is enabled: ship it with enable: false", timer["name"], reqs[0].InstanceID)
		}
	}
	if sweeps != 1 {
		t.Errorf("%d sweep timers, want 1: without it no restore's end is reported and no safety-backed restore goes ahead", sweeps)
	}
}
