// Command cloudemu serves the Tencent Cloud API emulator of
// internal/cloudemu on one address, for trying the restore function by hand:
// point TENCENTCLOUD_ENDPOINT_URL at the URL it prints.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/redisserver"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("cloudemu: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on (port 0 picks a free one)")
	demo := flag.Bool("demo", false, "seed demo data (instance crs-5a4py64p, backups, queue, topic, role, secret) and print its credentials as export lines")
	taskIDAsString := flag.Bool("task-id-as-string", false, `answer RestoreInstance's TaskId as a JSON string ("6954227"), as the published example does`)
	faults := flag.String("faults", "", "inject faults: Action=RATE:KIND,KIND[;Action2=...], e.g.\n"+
		`"RestoreInstance=0.3:RequestLimitExceeded,InternalError,reset,503".`+"\n"+
		"RATE is a probability 0..1; KIND is an API error code, an HTTP status,\n"+
		"reset (close the connection), delay=DURATION (e.g. delay=2s), after:KIND\n"+
		"(perform the action, then fail its answer that way) or lost (= after:reset)")
	rate := flag.String("rate", "", `per-second request limits of each identity: Action=N[,Action2=M], e.g. "RestoreInstance=20"; beyond them RequestLimitExceeded`)
	account := flag.Bool("account-limits", false, "enforce the API documents' limits per account and identity (20/s per Redis action; CMQ sends 20/s for the root account, 10/s for a sub-account or role), as the cloud does; -rate overrides an action's")
	seed := flag.Int64("seed", 1, "seed of the random fault source")
	// A restore's life (internal/cloudemu/lifecycle.go): how long each flow takes.
	taskDuration := flag.Duration("task-duration", 2*time.Second, "how long a restore task runs")
	prepare := flag.Duration("prepare", 0, "how long every task answers preparing before running")
	backupDuration := flag.Duration("backup-duration", 3*time.Second, "how long ManualBackupInstance's backup takes")
	cloneDuration := flag.Duration("clone-duration", 4*time.Second, "how long CloneInstances takes until the new instance runs")
	settle := flag.Duration("settle", 0, "how long an instance stays in a flow (Status 1) after a restore task ended")
	failTasks := flag.String("fail-tasks", "", `kinds of the next tasks to fail, e.g. "restore,backup,clone" (also switch, destroy)`)
	data := flag.Bool("redis", false, "serve each instance's data from a Redis server of its own (redis-server where installed, in-process otherwise); with -demo, the demo's keys and backups")
	flag.Parse()

	faultSpecs, err := cloudemu.ParseFaults(*faults)
	if err != nil {
		return err
	}
	limits, err := cloudemu.ParseRateLimits(*rate)
	if err != nil {
		return err
	}

	opts := cloudemu.Options{TaskIDAsString: *taskIDAsString, Seed: *seed}
	if *data {
		opts.Redis = redisserver.Default("")
	}
	e := cloudemu.New(opts)
	defer e.Close() // the Redis servers, if any
	for _, action := range slices.Sorted(maps.Keys(faultSpecs)) {
		e.SetFaults(action, faultSpecs[action])
		log.Printf("faults on %s: rate %.2f over %d kinds", action, faultSpecs[action].Rate, len(faultSpecs[action].Kinds))
	}
	if *account {
		e.LimitAccount()
	}
	for _, action := range slices.Sorted(maps.Keys(limits)) {
		e.SetRateLimit(action, limits[action])
	}
	e.SetTaskDuration(*taskDuration)
	e.SetLifecycle(cloudemu.Lifecycle{Prepare: *prepare, Backup: *backupDuration, Clone: *cloneDuration, Settle: *settle})
	for _, kind := range strings.Split(*failTasks, ",") {
		switch kind = strings.TrimSpace(kind); kind {
		case "":
		case "restore", "backup", "clone", "switch", "destroy":
			e.FailNextTask(kind, kind+" failed: injected by -fail-tasks")
		default:
			return fmt.Errorf("-fail-tasks: %q is not restore, backup, clone, switch or destroy", kind)
		}
	}

	// Seed before listening so no request sees a half-filled cloud.
	var d cloudemu.DemoData
	if *demo {
		d = cloudemu.SeedDemo(e)
		if *data {
			if err := cloudemu.SeedDemoData(context.Background(), e, &d); err != nil {
				return err
			}
			addr, _ := e.RedisAddr(d.InstanceID)
			log.Printf("data (%s): %s at %s; its newest backup holds %d keys", opts.Redis, d.InstanceID, addr, d.BackupKeys[d.LatestBackupID])
		}
	}
	url, closeFn, err := e.Listen(*addr)
	if err != nil {
		return err
	}
	fmt.Printf("export TENCENTCLOUD_ENDPOINT_URL=%s\n", url)
	if *demo {
		fmt.Printf("export TENCENTCLOUD_SECRETID=%s\n", d.SecretID)
		fmt.Printf("export TENCENTCLOUD_SECRETKEY=%s\n", d.SecretKey)
		fmt.Printf("export TENCENTCLOUD_SESSIONTOKEN=%s\n", d.Token)
		fmt.Printf("export TENCENTCLOUD_REGION=%s\n", d.Region)
		fmt.Printf("export RESTORE_QUEUE=%s\n", d.Queue)
		log.Printf("demo: instance %s (password %q), latest backup %s, topic %s, role %s, secret %s",
			d.InstanceID, d.Password, d.LatestBackupID, d.Topic, d.RoleArn, d.SecretName)
	}
	log.Printf("serving Tencent Cloud API 3.0 (redis, tdmq, ssm, sts, monitor) at %s", url)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	log.Printf("%s: stopping", s)
	return closeFn()
}
