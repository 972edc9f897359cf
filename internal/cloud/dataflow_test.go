package cloud_test

import (
	"testing"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
)

// dataflowConfig is the configuration of an outbox through the data flow,
// at the emulator (TENCENTCLOUD_ENDPOINT_URL serves both ways in).
func (v *cloudEnv) dataflowConfig(t *testing.T, queue, topic string) *config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"RESTORE_QUEUE": queue, "RESTORE_TOPIC": topic, "RESTORE_QUEUE_API": "dataflow",
			"TENCENTCLOUD_REGION": v.demo.Region, "TENCENTCLOUD_ENDPOINT_URL": v.endpoint.String(),
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestOutboxSendsThroughTheDataflow(t *testing.T) {
	v := newCloudEnv(t)
	ob := v.session().Outbox(v.dataflowConfig(t, v.demo.Queue, ""))
	id, err := ob.Publish(ctx(t), v.demo.Region, `{"id":"m1"}`, []string{"accepted", "timer"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := v.emu.Messages(v.demo.Queue)
	if len(msgs) != 1 || msgs[0].ID != id || msgs[0].Body != `{"id":"m1"}` || msgs[0].Action != "SendMessage" {
		t.Fatalf("queue holds %+v, want the message %s sent by SendMessage", msgs, id)
	}
	// The role's temporary credentials signed it, token and all; the
	// cloud API's send was not called.
	if n := v.emu.Calls("SendCmqMsg"); n != 0 {
		t.Errorf("SendCmqMsg called %d times", n)
	}
}

func TestOutboxPublishesThroughTheDataflowWithTags(t *testing.T) {
	v := newCloudEnv(t)
	v.emu.AddTopic("outcomes")
	ob := v.session().Outbox(v.dataflowConfig(t, "", "outcomes"))
	id, err := ob.Publish(ctx(t), v.demo.Region, "body", []string{"accepted", "functionurl"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := v.emu.Messages("outcomes")
	if len(msgs) != 1 || msgs[0].ID != id || len(msgs[0].Tags) != 2 || msgs[0].Tags[1] != "functionurl" || msgs[0].Action != "PublishMessage" {
		t.Fatalf("topic holds %+v, want the message %s tagged accepted, functionurl", msgs, id)
	}
}

func TestOutboxDataflowErrorsCarryTheirKinds(t *testing.T) {
	cases := []struct {
		name  string
		setup func(v *cloudEnv) (*cloud.Session, string)
		want  failure.Kind
	}{
		{"throttled", func(v *cloudEnv) (*cloud.Session, string) {
			v.emu.SetFaults("SendMessage", cloudemu.Faults{Sequence: []cloudemu.Fault{{Code: "4420"}}})
			return v.session(), v.demo.Queue
		}, failure.Transient},
		{"a gateway's 502", func(v *cloudEnv) (*cloud.Session, string) {
			v.emu.SetFaults("SendMessage", cloudemu.Faults{Sequence: []cloudemu.Fault{{HTTPStatus: 502}}})
			return v.session(), v.demo.Queue
		}, failure.Transient},
		{"the connection reset", func(v *cloudEnv) (*cloud.Session, string) {
			v.emu.SetFaults("SendMessage", cloudemu.Faults{Sequence: []cloudemu.Fault{{Reset: true}}})
			return v.session(), v.demo.Queue
		}, failure.Transient},
		{"no such queue", func(v *cloudEnv) (*cloud.Session, string) {
			return v.session(), "no-such-queue"
		}, failure.NotFound},
		{"a wrong key", func(v *cloudEnv) (*cloud.Session, string) {
			return v.clients.Session(config.Credentials{SecretID: v.creds.SecretID, SecretKey: "wrong", Token: v.creds.Token}, v.endpoint), v.demo.Queue
		}, failure.Forbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newCloudEnv(t)
			s, queue := c.setup(v)
			_, err := s.Outbox(v.dataflowConfig(t, queue, "")).Publish(ctx(t), v.demo.Region, "x", nil)
			if e := asFailure(t, err); e.Kind != c.want {
				t.Errorf("kind %s, want %s (%v)", e.Kind, c.want, err)
			}
		})
	}
}
