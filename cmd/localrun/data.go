package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/redisserver"
	"redis-restore/internal/scfdriver"
	"redis-restore/internal/verify"
)

// The data `make run` shows coming back: the demo's instances hold keys in
// Redis servers (redis-server where installed, in-process otherwise), the
// backups are snapshots of them, the data is damaged before the function
// runs, and after it every restore it started is awaited and its instance
// checked with internal/verify against the backup's key count and canary.

// damageKeys is what is left in each instance after the damage.
const damageKeys = 3

// restoreWait bounds the wait for a restore task's end.
const restoreWait = 60 * time.Second

// showData prints where the demo instance's data is and what its backup
// holds, then damages both demo instances: FLUSHALL, and a few keys
// written that the backup never held.
func showData(ctx context.Context, emu *cloudemu.Emulator, servers redisserver.Starter, demo cloudemu.DemoData) error {
	addr, err := emu.RedisAddr(demo.InstanceID)
	if err != nil {
		return err
	}
	c := client(addr, demo.Password)
	defer c.Close()
	n, err := c.DBSize(ctx).Result()
	if err != nil {
		return err
	}
	fmt.Printf("data (%s): %s at %s holds %d keys; its backup %s (%s) holds %d\n", servers, demo.InstanceID, addr, n,
		demo.LatestBackupID, demo.BackupTimes[demo.LatestBackupID].UTC().Format("2006-01-02 15:04 MST"), demo.BackupKeys[demo.LatestBackupID])
	for _, in := range []struct{ id, password string }{{demo.InstanceID, demo.Password}, {demo.PasswordFreeInstanceID, ""}} {
		addr, err := emu.RedisAddr(in.id)
		if err != nil {
			return err
		}
		c := client(addr, in.password)
		err = c.FlushAll(ctx).Err()
		for i := 0; err == nil && i < damageKeys; i++ {
			err = c.Set(ctx, fmt.Sprintf("damage:%d", i), "written after the backup", 0).Err()
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("damage %s: %w", in.id, err)
		}
	}
	fmt.Printf("damage: FLUSHALL on %s and %s, then %d keys written: %d keys left in each\n", demo.InstanceID, demo.PasswordFreeInstanceID, damageKeys, damageKeys)
	return nil
}

// checkDataBack waits for each restore the function started to end and
// checks what its instance holds against what the backup held, as the
// function does: Cloud Monitor's key count of the instance at the
// backup's start (GetMonitorData on the emulator, through internal/cloud).
func checkDataBack(ctx context.Context, emu *cloudemu.Emulator, demo cloudemu.DemoData, emuURL string) error {
	endpoint, err := url.Parse(emuURL)
	if err != nil {
		return err
	}
	monitor := cloud.New(cloud.Options{}).Session(config.Credentials{SecretID: demo.SecretID, SecretKey: demo.SecretKey, Token: demo.Token}, endpoint)
	calls := emu.RestoreCalls()
	if len(calls) == 0 {
		fmt.Printf("\ndata: no restore started in this run; %s still holds the %d keys of the damage\n", demo.InstanceID, damageKeys)
		return nil
	}
	fmt.Println()
	for _, call := range calls {
		status, err := waitTask(ctx, emu, call.TaskID)
		if err != nil {
			return err
		}
		took := time.Since(call.Time) // the emulator runs on this clock
		if status != "succeed" {
			fmt.Printf("data: restore task %d of %s %s after %s: the data stays as it was\n", call.TaskID, call.InstanceID, status, took.Round(100*time.Millisecond))
			continue
		}
		addr, err := emu.RedisAddr(call.InstanceID)
		if err != nil {
			return err
		}
		password := ""
		if call.InstanceID == demo.InstanceID {
			password = demo.Password
		}
		backupTime := demo.BackupTimes[call.BackupID]
		want := verify.Expect{CanaryKey: demo.CanaryKey, BackupTime: backupTime}
		held := "unknown"
		if kc, err := monitor.KeysAt(ctx, demo.Region, call.InstanceID, backupTime); err != nil {
			held = "unknown: " + err.Error()
		} else {
			// The function's rule (handler/verify.go): fewer than 90% is suspect.
			want.Keys, want.KeysKnown, want.Tolerance, want.FewerOnly = kc.Keys, true, 0.1, true
			held = fmt.Sprintf("%d by Cloud Monitor at %s", kc.Keys, kc.At.UTC().Format("2006-01-02 15:04 MST"))
		}
		res, err := verify.Check(ctx, addr, password, want)
		if err != nil {
			return err
		}
		verdict := "verified"
		if !res.Verified {
			verdict = "NOT verified: " + res.Reason
		}
		fmt.Printf("data back: restore task %d of %s succeeded %s after it started; %d keys (the backup held %s), data as of %s: %s\n",
			call.TaskID, call.InstanceID, took.Round(100*time.Millisecond), res.Keys, held,
			res.DataAsOf.UTC().Format("2006-01-02 15:04:05 MST"), verdict)
	}
	return nil
}

// sweepUntilRestore fires the sweep timer every lifeSweepEvery while the
// function's restore waits for its safety backup (the default: the event
// only took the backup), until the sweep starts the restore. Without a
// safety backup in this run it does nothing.
func sweepUntilRestore(ctx context.Context, fn *scfdriver.Function, env map[string]string, emu *cloudemu.Emulator) error {
	if len(emu.RestoreCalls()) > 0 || len(emu.ManualBackups()) == 0 {
		return nil
	}
	fmt.Printf("\nthe restore waits for its safety backup; the sweep timer continues it (fired every %s here, every minute when deployed)\n", lifeSweepEvery)
	deadline := time.Now().Add(restoreWait)
	for len(emu.RestoreCalls()) == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("no restore started within %s of sweeps", restoreWait)
		}
		time.Sleep(lifeSweepEvery)
		if err := sweep(ctx, fn, env); err != nil {
			return err
		}
	}
	return nil
}

// waitTask polls a task until it ends.
func waitTask(ctx context.Context, emu *cloudemu.Emulator, id int64) (string, error) {
	start := time.Now()
	for {
		st, ok := emu.TaskStatus(id)
		if !ok {
			return "", fmt.Errorf("no task %d", id)
		}
		if st == "succeed" || st == "failed" {
			return st, nil
		}
		if time.Since(start) > restoreWait {
			return "", fmt.Errorf("restore task %d still %s after %s", id, st, restoreWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func client(addr, password string) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: addr, Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1, DialerRetries: 1})
}
