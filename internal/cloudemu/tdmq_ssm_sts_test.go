package cloudemu_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
	tdmq "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tdmq/v20200217"
)

func TestSendCmqMsg(t *testing.T) {
	v := newEnv(t)
	send := func(queue, body string, delay *int64) (*tdmq.SendCmqMsgResponse, error) {
		req := tdmq.NewSendCmqMsgRequest()
		req.QueueName = common.StringPtr(queue)
		req.MsgContent = common.StringPtr(body)
		req.DelaySeconds = delay
		return v.tdmq().SendCmqMsg(req)
	}
	resp, err := send(v.d.Queue, `{"a":1}`, common.Int64Ptr(0))
	if err != nil {
		t.Fatal(err)
	}
	if !*resp.Response.Result || *resp.Response.MsgId == "" {
		t.Fatalf("response %+v", resp.Response)
	}
	msgs := v.e.Messages(v.d.Queue)
	if len(msgs) != 1 || msgs[0].Body != `{"a":1}` || msgs[0].ID != *resp.Response.MsgId {
		t.Fatalf("messages %+v", msgs)
	}

	_, err = send(v.d.Queue, "x", nil)
	wantCode(t, err, "MissingParameter")
	if !strings.Contains(message(err), "DelaySeconds") {
		t.Fatalf("message %q does not name DelaySeconds", message(err))
	}
	_, err = send("no-such-queue", "x", common.Int64Ptr(0))
	wantCode(t, err, "ResourceNotFound")
	if !strings.Contains(message(err), "no-such-queue") {
		t.Fatalf("message %q does not name the queue", message(err))
	}
	_, err = send(v.d.Queue, "", common.Int64Ptr(0))
	wantCode(t, err, "InvalidParameterValue")
	_, err = send(v.d.Queue, "x", common.Int64Ptr(-1))
	wantCode(t, err, "InvalidParameterValue")
	if n := len(v.e.Messages(v.d.Queue)); n != 1 {
		t.Fatalf("%d messages after failures, want 1", n)
	}
}

func TestPublishCmqMsg(t *testing.T) {
	v := newEnv(t)
	publish := func(topic, body string, tags ...string) error {
		req := tdmq.NewPublishCmqMsgRequest()
		req.TopicName = common.StringPtr(topic)
		req.MsgContent = common.StringPtr(body)
		req.MsgTag = common.StringPtrs(tags)
		_, err := v.tdmq().PublishCmqMsg(req)
		return err
	}
	if err := publish(v.d.Topic, "hello", "accepted", "crs-5a4py64p"); err != nil {
		t.Fatal(err)
	}
	msgs := v.e.Messages(v.d.Topic)
	if len(msgs) != 1 || msgs[0].Body != "hello" || strings.Join(msgs[0].Tags, ",") != "accepted,crs-5a4py64p" {
		t.Fatalf("messages %+v", msgs)
	}
	wantCode(t, publish(v.d.Topic, "x", strings.Repeat("t", 65)), "InvalidParameterValue")
	wantCode(t, publish(v.d.Topic, "x", strings.Repeat("t", 64)), "")
	wantCode(t, publish(v.d.Topic, strings.Repeat("x", 1<<20+1)), "InvalidParameterValue")
	wantCode(t, publish("no-such-topic", "x"), "ResourceNotFound")
	wantCode(t, publish(v.d.Topic, ""), "InvalidParameterValue")
}

func TestGetSecretValue(t *testing.T) {
	v := newEnv(t)
	get := func(name, version string) (map[string]any, error) {
		return v.common("ssm", "2019-09-23", "GetSecretValue", map[string]any{"SecretName": name, "VersionId": version})
	}
	resp, err := get(v.d.SecretName, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if resp["SecretString"] != v.d.Password || resp["VersionId"] != "v1" || resp["SecretName"] != v.d.SecretName {
		t.Fatalf("response %+v", resp)
	}
	v.e.SetSecret(v.d.SecretName, "rotated")
	if resp, _ := get(v.d.SecretName, "v2"); resp["SecretString"] != "rotated" {
		t.Fatalf("v2 after rotation %+v", resp)
	}
	if resp, _ := get(v.d.SecretName, "v1"); resp["SecretString"] != v.d.Password {
		t.Fatalf("v1 after rotation %+v", resp)
	}
	// A user-defined secret has no alias for its newest version.
	_, err = get(v.d.SecretName, "SSM_Current")
	wantCode(t, err, "ResourceNotFound.SecretNotExist")
	_, err = get("nope", "v1")
	wantCode(t, err, "ResourceNotFound.SecretNotExist")
	_, err = get(v.d.SecretName, "v9")
	wantCode(t, err, "ResourceNotFound.SecretNotExist")
	_, err = v.common("ssm", "2019-09-23", "GetSecretValue", map[string]any{"SecretName": v.d.SecretName})
	wantCode(t, err, "MissingParameter")
}

func TestListSecretVersionIds(t *testing.T) {
	v := newEnv(t)
	for _, id := range []string{"z-first", "a-second", "m-third"} {
		if err := v.e.PutSecretValue("pw", id, id+"-value"); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.e.PutSecretValue("pw", "m-third", "again"); err == nil {
		t.Fatal("a version put twice")
	}
	resp, err := v.common("ssm", "2019-09-23", "ListSecretVersionIds", map[string]any{"SecretName": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := resp["Versions"].([]any)
	var ids []string
	var times []float64
	for _, x := range list {
		m := x.(map[string]any)
		ids = append(ids, m["VersionId"].(string))
		times = append(times, m["CreateTime"].(float64))
	}
	// Listed by name, not by time; created in order, never in the same second.
	if strings.Join(ids, ",") != "a-second,m-third,z-first" || !(times[2] < times[0] && times[0] < times[1]) || resp["SecretName"] != "pw" {
		t.Fatalf("versions %v created %v", ids, times)
	}
	_, err = v.common("ssm", "2019-09-23", "ListSecretVersionIds", map[string]any{"SecretName": "nope"})
	wantCode(t, err, "ResourceNotFound.SecretNotExist")
	for i := 3; i < 10; i++ {
		if err := v.e.PutSecretValue("pw", fmt.Sprintf("v%d", i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.e.PutSecretValue("pw", "v10", "x"); err == nil {
		t.Fatal("an eleventh version was stored: SSM keeps at most 10")
	}
}

func TestAssumeRole(t *testing.T) {
	v := newEnv(t)
	v.e.AddCredential("AKIDroot", "root-key", "", time.Time{})
	root := v.sts(common.NewCredential("AKIDroot", "root-key"))

	assume := func(arn string, secs uint64) (*sts.AssumeRoleResponseParams, error) {
		req := sts.NewAssumeRoleRequest()
		req.RoleArn = common.StringPtr(arn)
		req.RoleSessionName = common.StringPtr("restore")
		req.DurationSeconds = common.Uint64Ptr(secs)
		resp, err := root.AssumeRole(req)
		if err != nil {
			return nil, err
		}
		return resp.Response, nil
	}
	resp, err := assume(v.d.RoleArn, 1)
	if err != nil {
		t.Fatal(err)
	}
	cr := resp.Credentials
	if want := v.clock.Now().Add(time.Second).Unix(); *resp.ExpiredTime != want {
		t.Fatalf("ExpiredTime %d, want %d", *resp.ExpiredTime, want)
	}
	if _, err := time.Parse(time.RFC3339, *resp.Expiration); err != nil {
		t.Fatalf("Expiration %q: %v", *resp.Expiration, err)
	}
	issued := v.redis(common.NewTokenCredential(*cr.TmpSecretId, *cr.TmpSecretKey, *cr.Token), v.d.Region)
	wantCode(t, v.describeBackups(issued), "")
	wantCode(t, v.describeBackups(v.redis(common.NewCredential(*cr.TmpSecretId, *cr.TmpSecretKey), v.d.Region)), "AuthFailure.TokenFailure")

	v.clock.Advance(2 * time.Second)
	wantCode(t, v.describeBackups(issued), "AuthFailure.TokenFailure")

	_, err = assume("qcs::cam::uin/1:roleName/Nobody", 60)
	wantCode(t, err, "ResourceNotFound.RoleNotFound")
	_, err = assume(v.d.RoleArn, 43201)
	wantCode(t, err, "InvalidParameter.OverTimeError")
}
