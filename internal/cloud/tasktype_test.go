package cloud_test

import (
	"testing"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// Each task type of DescribeTaskList, by code or by name, is judged as
// what it does; every other type, however the list was filtered, is none
// of the restore's concern.
func TestTaskKind(t *testing.T) {
	for typ, want := range map[string]intent.TaskKind{
		"010": intent.RestoreTask, "FLOW_RESTOREBACKUP": intent.RestoreTask, " 010 ": intent.RestoreTask, "flow_restorebackup": intent.RestoreTask,
		"012": intent.ManualBackupTask, "FLOW_BACKUPINSTANCE": intent.ManualBackupTask,
		"026": intent.CloneTask, "FLOW_CLONEBACKUP": intent.CloneTask,
		"036": intent.SwitchTask, "FLOW_SWITCHINSTANCEVIP": intent.SwitchTask, "flow_switchinstancevip": intent.SwitchTask,
		"003": intent.DestroyTask, "FLOW_CLOSE": intent.DestroyTask, "006": intent.DestroyTask, "FLOW_DELETE": intent.DestroyTask,
		"027": intent.OtherTask, "FLOW_CHANGEVIP": intent.OtherTask, "016": intent.OtherTask, "FLOW_CLOSE_WAN": intent.OtherTask, "0036": intent.OtherTask,
		"017": intent.OtherTask, "037": intent.OtherTask, "": intent.OtherTask,
		"FLOW_AUTOBACKUP": intent.OtherTask, "redis回档流程": intent.OtherTask, "0100": intent.OtherTask,
	} {
		if got := cloud.TaskKind(typ); got != want {
			t.Errorf("taskKind(%q) = %v, want %v", typ, got, want)
		}
	}
}

// The emulator, like the API may, ignores the TaskTypes filter and lists an
// automatic backup, a flush and a clone next to the restores: only the
// restores, running or finished, may come back.
func TestDescribeRestoreTasksJudgesEachTaskByType(t *testing.T) {
	v := newCloudEnv(t)
	now := time.Now()
	id := v.demo.InstanceID
	for i, typ := range []string{cloudemu.TaskTypeAutoBackup, "037", cloudemu.TaskTypeClone, cloudemu.TaskTypeBackup} {
		v.emu.AddTask(cloudemu.Task{InstanceID: id, Type: typ, StartTime: now.Add(time.Duration(i) * time.Second)})
	}
	finished := v.emu.AddTask(cloudemu.Task{InstanceID: id, Type: cloudemu.TaskTypeRestore, StartTime: now.Add(-time.Hour), Duration: time.Second})
	running := v.emu.AddTask(cloudemu.Task{InstanceID: id, Type: cloudemu.TaskTypeRestore, StartTime: now, Duration: time.Hour})
	// Another instance's restore is not this one's.
	v.emu.AddTask(cloudemu.Task{InstanceID: v.demo.PasswordFreeInstanceID, Type: cloudemu.TaskTypeRestore, StartTime: now})

	tasks, err := v.session().DescribeRestoreTasks(ctx(t), v.demo.Region, id, now.Add(-2*time.Hour), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, task := range tasks {
		got[task.ID] = task.Type
	}
	if len(got) != 2 || got[finished] != "010" || got[running] != "010" {
		t.Fatalf("restore tasks = %v, want exactly %d and %d (type 010)", got, finished, running)
	}
}

func TestNewestSecretVersion(t *testing.T) {
	// The API's example list, not sorted: v1 is the newest.
	example := []cloud.SecretVersion{{ID: "v1", CreateTime: 1730278717}, {ID: "v2", CreateTime: 1730278706}, {ID: "v3", CreateTime: 1730271414}}
	if v, ok := cloud.NewestSecretVersion(example); !ok || v.ID != "v1" {
		t.Fatalf("newest of the example = %+v, want v1", v)
	}
	tie := []cloud.SecretVersion{{ID: "b", CreateTime: 5}, {ID: "c", CreateTime: 5}, {ID: "a", CreateTime: 4}}
	if v, _ := cloud.NewestSecretVersion(tie); v.ID != "c" {
		t.Fatalf("tie broken to %+v, want c whatever the order", v)
	}
	if _, ok := cloud.NewestSecretVersion(nil); ok {
		t.Fatal("a newest version of none")
	}
}

// ListInstances reads each instance's Createtime from the emulator: the
// time it was given, or the time it was added, to the second.
func TestListInstancesReadsCreatetime(t *testing.T) {
	v := newCloudEnv(t)
	region := v.demo.Region
	given := time.Date(2020, 1, 15, 10, 20, 0, 0, time.FixedZone("UTC+8", 8*3600))
	v.emu.AddInstance(cloudemu.Instance{ID: "crs-created1", Region: region, Status: 2, Created: given})
	added := time.Now()
	v.emu.AddInstance(cloudemu.Instance{ID: "crs-created2", Region: region, Status: 2})
	ins, err := v.session().ListInstances(ctx(t), region, "crs-created1", "crs-created2")
	if err != nil || len(ins) != 2 {
		t.Fatalf("ListInstances: %+v %v", ins, err)
	}
	for _, in := range ins {
		switch in.ID {
		case "crs-created1":
			if !in.Created.Equal(given) {
				t.Errorf("%s created %s, want %s", in.ID, in.Created, given)
			}
		case "crs-created2":
			if d := in.Created.Sub(added.Truncate(time.Second)); d < 0 || d > 2*time.Second {
				t.Errorf("%s created %s, want about %s", in.ID, in.Created, added)
			}
		}
	}
}
