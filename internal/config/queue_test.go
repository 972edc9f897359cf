package config

import (
	"strings"
	"testing"

	"redis-restore/internal/failure"
)

func loadEnv(env map[string]string) (*Config, error) {
	return Load(func(k string) string { return env[k] })
}

// The data flow's address: the setting, the emulator's, or the region's.
func TestDataflowURL(t *testing.T) {
	cfg, err := loadEnv(map[string]string{"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "dataflow", "TENCENTCLOUD_REGION": "ap-guangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := cfg.DataflowURL("ap-guangzhou"); err != nil || u.String() != "https://cmq-gz.public.tencenttdmq.com/v2/index.php" {
		t.Errorf("derived %v, %v", u, err)
	}
	if _, err := cfg.DataflowURL("ap-nowhere"); err == nil || failure.As(err).Field != "RESTORE_QUEUE_ENDPOINT" {
		t.Errorf("an unknown region: %v, want an error naming RESTORE_QUEUE_ENDPOINT", err)
	}
	cfg, err = loadEnv(map[string]string{"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "dataflow", "RESTORE_QUEUE_ENDPOINT": "http://gz.mqadapter.cmq.tencentyun.com"})
	if u, _ := cfg.DataflowURL("ap-nowhere"); err != nil || u.String() != "http://gz.mqadapter.cmq.tencentyun.com/v2/index.php" {
		t.Errorf("set: %v, %v", u, err)
	}
	cfg, err = loadEnv(map[string]string{"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "dataflow", "TENCENTCLOUD_ENDPOINT_URL": "http://127.0.0.1:9000"})
	if u, _ := cfg.DataflowURL("ap-guangzhou"); err != nil || u.String() != "http://127.0.0.1:9000/v2/index.php" {
		t.Errorf("with an endpoint URL: %v, %v", u, err)
	}
}

func TestQueueAPIDefaultsToTheCloudAPI(t *testing.T) {
	cfg, err := loadEnv(map[string]string{"RESTORE_QUEUE": "q"})
	if err != nil || cfg.QueueAPI != QueueAPICloud || cfg.QueueEndpoint != nil {
		t.Errorf("unset: %q %v, %v; want cloudapi", cfg.QueueAPI, cfg.QueueEndpoint, err)
	}
}

func TestQueueAPISettingsRefusedByName(t *testing.T) {
	cases := map[string]map[string]string{
		"RESTORE_QUEUE_API":      {"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "http"},
		"RESTORE_QUEUE_ENDPOINT": {"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "dataflow", "RESTORE_QUEUE_ENDPOINT": "gz.mqadapter.cmq.tencentyun.com"},
		// Set but unused: the operator meant the data flow.
		"RESTORE_QUEUE_ENDPOINT ": {"RESTORE_QUEUE": "q", "RESTORE_QUEUE_ENDPOINT": "http://gz.mqadapter.cmq.tencentyun.com"},
	}
	for name, env := range cases {
		_, err := loadEnv(env)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Errorf("%v: %v, want an error naming %s", env, err, name)
		}
	}
}

// No restore starts whose TaskId the data flow could not send: a region
// without a known address and no RESTORE_QUEUE_ENDPOINT is refused.
func TestDataflowWithoutAnAddressRefusesRestores(t *testing.T) {
	cfg, err := loadEnv(map[string]string{"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "dataflow", "TENCENTCLOUD_REGION": "ap-jakarta"})
	if err != nil {
		t.Fatal(err)
	}
	if out := cfg.Settings().Output; out == nil || failure.As(out).Field != "RESTORE_QUEUE_ENDPOINT" {
		t.Errorf("Output %v, want an error naming RESTORE_QUEUE_ENDPOINT", out)
	}
	cfg, _ = loadEnv(map[string]string{"RESTORE_QUEUE": "q", "RESTORE_QUEUE_API": "dataflow", "TENCENTCLOUD_REGION": "ap-jakarta",
		"RESTORE_QUEUE_ENDPOINT": "http://jkt.mqadapter.cmq.tencentyun.com"})
	if out := cfg.Settings().Output; out != nil {
		t.Errorf("with RESTORE_QUEUE_ENDPOINT: %v", out)
	}
}
