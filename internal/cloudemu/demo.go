package cloudemu

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DemoData names what SeedDemo created.
type DemoData struct {
	SecretID, SecretKey, Token string // temporary credential that never expires, like a role's
	Region                     string
	InstanceID, Password       string
	BackupIDs                  []string // oldest first
	LatestBackupID             string   // newest restorable backup of InstanceID
	PasswordFreeInstanceID     string   // the alarm example's instance, without password
	PasswordFreeBackupID       string
	Queue, Topic               string
	RoleArn                    string
	SecretName                 string // SSM secret holding Password
	// CanaryKey is the key whose value (RFC 3339) records when the data
	// was written: SeedDemoData writes it.
	CanaryKey string
	// BackupKeys is each backup's key count (the canary included), and
	// BackupTimes its StartTime, from SeedDemoData; nil without data.
	BackupKeys  map[string]int64
	BackupTimes map[string]time.Time
}

// SeedDemo fills an emulator with the values of the documentation's
// examples, so the function can be tried by hand against it.
func SeedDemo(e *Emulator) DemoData {
	d := DemoData{
		SecretID:               "AKIDdemoRedisRestore00000000000000",
		SecretKey:              "demoSecretKeyRedisRestore000000",
		Token:                  "demo-session-token-redis-restore",
		Region:                 "ap-guangzhou",
		InstanceID:             "crs-5a4py64p",
		Password:               "demo-password",
		LatestBackupID:         "678362566696298532848117",
		PasswordFreeInstanceID: "crs-1amp2588",
		PasswordFreeBackupID:   "678362566696298532850001",
		Queue:                  "redis-restore-tasks",
		Topic:                  "redis-restore-events",
		RoleArn:                "qcs::cam::uin/100000000001:roleName/RedisRestoreRole",
		SecretName:             "redis-restore-crs-5a4py64p", // SSM names: [A-Za-z0-9_-]
		CanaryKey:              "restore:canary",
	}
	e.AddCredential(d.SecretID, d.SecretKey, d.Token, time.Time{})
	e.AddRole(d.RoleArn)
	e.AddInstance(Instance{ID: d.InstanceID, Name: "price", Region: d.Region, Password: d.Password, Status: 2})
	e.AddInstance(Instance{ID: d.PasswordFreeInstanceID, Name: "cache", Region: d.Region, Status: 2})

	day := func(dd, hh, mm int) time.Time { return time.Date(2026, 11, dd, hh, mm, 0, 0, time.UTC) }
	backups := []Backup{
		{ID: "678362566696298532848001", StartTime: day(20, 19, 0), EndTime: day(20, 19, 9), Status: -1, BackupType: "1", Size: 1 << 20},
		{ID: "678362566696298532848114", StartTime: day(26, 19, 0), EndTime: day(26, 19, 8), Status: 2, BackupType: "1", Size: 1 << 20},
		{ID: "678362566696298532848115", StartTime: day(27, 19, 0), EndTime: day(27, 19, 8), Status: 4, BackupType: "1", Size: 1 << 20},
		{ID: d.LatestBackupID, StartTime: day(28, 19, 0), EndTime: day(28, 19, 10), Status: 2, BackupType: "1", Size: 1 << 20},
		{ID: "678362566696298532848118", StartTime: day(29, 7, 30), Status: 1, BackupType: "0", Remark: "manual, in progress"},
	}
	for _, b := range backups {
		e.AddBackup(d.InstanceID, b)
		d.BackupIDs = append(d.BackupIDs, b.ID)
	}
	e.AddBackup(d.PasswordFreeInstanceID, Backup{ID: d.PasswordFreeBackupID, StartTime: day(28, 19, 30), EndTime: day(28, 19, 35), Status: 2, BackupType: "1", Size: 4096})

	e.AddQueue(d.Queue)
	e.AddTopic(d.Topic)
	e.SetSecret(d.SecretName, d.Password)
	return d
}

// Environment is what SCF would hand the function for this demo: the
// role's credentials, the region, the emulator's URL as the endpoint, the
// queue and the instance's password.
func (d DemoData) Environment(endpointURL string) map[string]string {
	return map[string]string{
		"TENCENTCLOUD_SECRETID":     d.SecretID,
		"TENCENTCLOUD_SECRETKEY":    d.SecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": d.Token,
		"TENCENTCLOUD_REGION":       d.Region,
		"TENCENTCLOUD_ENDPOINT_URL": endpointURL,
		"RESTORE_QUEUE":             d.Queue,
		"RESTORE_PASSWORD":          d.Password,
		// The function's own key (make deploy generates one for a real
		// function): the demo's is fixed, so that runs can be compared.
		"RESTORE_SIGNING_KEY": "demo-signing-key-0123456789abcdefghijkl",
	}
}

// Demo data: how many keys the demo's backups hold, oldest restorable
// backup first, and how many the instances hold after them.
const (
	demoFirstBackupKeys = 1000
	demoBackupKeysStep  = 100
	demoLiveKeysAfter   = 50
	demoCacheKeys       = 100
)

// SeedDemoData fills the demo instances' Redis servers (Options.Redis) and
// makes each restorable backup of the demo a snapshot of them, so that a
// restore brings back keys one can count. The instance's backups hold
// 1,000, 1,100 and 1,200 keys, oldest first, each with the canary key
// written at the backup's StartTime; the instance then holds 50 keys more
// and a canary of now. The password-free instance's backup holds 100 keys
// and a canary. d.BackupKeys gets each backup's count, read back with
// DBSIZE.
func SeedDemoData(ctx context.Context, e *Emulator, d *DemoData) error {
	d.BackupKeys, d.BackupTimes = map[string]int64{}, map[string]time.Time{}
	fill := func(instanceID, password, prefix string, backups []Backup, keys func(i int) int, liveKeys int) error {
		addr, err := e.RedisAddr(instanceID)
		if err != nil {
			return err
		}
		c := goredis.NewClient(&goredis.Options{Addr: addr, Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		defer c.Close()
		write := func(total int, asOf time.Time) (int64, error) {
			_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for k := range total - 1 { // the canary is the last key
					p.Set(ctx, fmt.Sprintf("%s:%05d", prefix, k), fmt.Sprintf("value %d", k), 0)
				}
				p.Set(ctx, d.CanaryKey, asOf.UTC().Format(time.RFC3339), 0)
				return nil
			})
			if err != nil {
				return 0, fmt.Errorf("demo data of %s: %w", instanceID, err)
			}
			return c.DBSize(ctx).Result()
		}
		for i, b := range backups {
			n, err := write(keys(i), b.StartTime)
			if err != nil {
				return err
			}
			if err := e.SnapshotBackup(instanceID, b.ID); err != nil {
				return err
			}
			d.BackupKeys[b.ID], d.BackupTimes[b.ID] = n, b.StartTime
		}
		_, err = write(liveKeys, e.now())
		return err
	}
	restorable := func(instanceID string) []Backup {
		defer e.lock()()
		var out []Backup
		for _, b := range e.backups[instanceID] {
			if b.Status == 2 || b.Status == 4 {
				out = append(out, b)
			}
		}
		return out
	}
	backups := restorable(d.InstanceID)
	step := func(i int) int { return demoFirstBackupKeys + i*demoBackupKeysStep }
	if err := fill(d.InstanceID, d.Password, "price", backups, step, step(len(backups)-1)+demoLiveKeysAfter); err != nil {
		return err
	}
	return fill(d.PasswordFreeInstanceID, "", "session", restorable(d.PasswordFreeInstanceID), func(int) int { return demoCacheKeys }, demoCacheKeys)
}
