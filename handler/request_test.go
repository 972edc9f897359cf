package handler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

func TestParseRestoreRequestsFixtures(t *testing.T) {
	t.Parallel()
	before := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC) // 2026-11-29T03:00:00+08:00
	tests := []struct {
		fixture string
		want    []intent.Request
	}{
		{"direct.json", []intent.Request{{
			InstanceID: instance1, BackupID: backup1, Password: "demo-password", Region: "ap-guangzhou", DryRun: false,
		}}},
		{"direct-api-spelling.json", []intent.Request{{
			InstanceID: instance1, BackupID: backup1, Password: "demo-password", Region: "ap-guangzhou",
		}}},
		{"direct-batch.json", []intent.Request{
			{InstanceID: instance1, BackupID: intent.LatestBackup, Before: &before},
			{InstanceID: instance2, BackupID: backup2, DryRun: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := handler.ParseRequests(readFixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d requests, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				p := fmt.Sprintf("[%d].", i)
				check(t, p+"InstanceID", g.InstanceID, w.InstanceID)
				check(t, p+"BackupID", g.BackupID, w.BackupID)
				check(t, p+"Password", g.Password, w.Password)
				check(t, p+"Region", g.Region, w.Region)
				check(t, p+"DryRun", g.DryRun, w.DryRun)
				switch {
				case w.Before == nil && g.Before != nil:
					t.Errorf("%sBefore = %v, want nil", p, g.Before)
				case w.Before != nil && (g.Before == nil || !g.Before.Equal(*w.Before)):
					t.Errorf("%sBefore = %v, want %v", p, g.Before, w.Before)
				}
			}

			// Round trip: marshal the requests, parse them again; only the
			// password, never marshalled, is lost.
			var data []byte
			if len(got) == 1 {
				data, err = json.Marshal(got[0])
			} else {
				data, err = json.Marshal(map[string]any{"restores": got})
			}
			if err != nil {
				t.Fatal(err)
			}
			again, err := handler.ParseRequests(data)
			if err != nil {
				t.Fatalf("parse the marshalled requests %s: %v", data, err)
			}
			want := make([]intent.Request, len(got))
			copy(want, got)
			for i := range want {
				want[i].Password = ""
			}
			if !reflect.DeepEqual(again, want) {
				t.Errorf("round trip:\n got %#v\nwant %#v", again, want)
			}
		})
	}
}

func TestParseRestoreRequestsSpellings(t *testing.T) {
	t.Parallel()
	contract, err := handler.ParseRequests(readFixture(t, "direct.json"))
	if err != nil {
		t.Fatal(err)
	}
	api, err := handler.ParseRequests(readFixture(t, "direct-api-spelling.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(contract, api) {
		t.Errorf("the two spellings differ:\n%#v\n%#v", contract, api)
	}
	// Any case is accepted, and values are trimmed.
	got, err := handler.ParseRequests([]byte(`{"INSTANCEID":" crs-5a4py64p ","backupid":" 678362566696298532848117 ","DryRun":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "requests", got, []intent.Request{{InstanceID: instance1, BackupID: backup1, DryRun: true}})
}

func TestParseRestoreRequestsLatest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ before, want string }{
		{"2026-11-29T03:00:00Z", "2026-11-29T03:00:00Z"},
		{"2026-11-29T11:00:00+08:00", "2026-11-29T03:00:00Z"},
		{" 2026-11-29T03:00:00.5Z ", "2026-11-29T03:00:00.5Z"},
	} {
		got, err := handler.ParseRequests([]byte(`{"instanceId":"crs-5a4py64p","backupId":"LATEST","before":"` + tt.before + `"}`))
		if err != nil {
			t.Errorf("before %q: %v", tt.before, err)
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%d requests", len(got))
		}
		check(t, "BackupID", got[0].BackupID, intent.LatestBackup) // normalised
		want, _ := time.Parse(time.RFC3339, tt.want)
		if got[0].Before == nil || !got[0].Before.Equal(want) {
			t.Errorf("before %q: Before = %v, want %v", tt.before, got[0].Before, want)
		}
	}
	got, err := handler.ParseRequests([]byte(`{"instanceId":"crs-5a4py64p","backupId":"latest"}`))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "requests", got, []intent.Request{{InstanceID: instance1, BackupID: intent.LatestBackup}})
}

func TestParseRestoreRequestsBatchLimit(t *testing.T) {
	t.Parallel()
	batch := func(n int) []byte {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"instanceId":"crs-batch%03d","backupId":"latest"}`, i)
		}
		return []byte(`{"restores":[` + strings.Join(items, ",") + `]}`)
	}
	got, err := handler.ParseRequests(batch(intent.MaxRestores))
	if err != nil {
		t.Fatalf("%d restores: %v", intent.MaxRestores, err)
	}
	check(t, "len", len(got), intent.MaxRestores)
	if _, err := handler.ParseRequests(batch(intent.MaxRestores + 1)); err == nil {
		t.Errorf("%d restores accepted", intent.MaxRestores+1)
	}
}

func TestParseRestoreRequestsInvalid(t *testing.T) {
	t.Parallel()
	const ok = `"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"`
	many := `{"restores":[` + strings.TrimSuffix(strings.Repeat(restoreBody+",", intent.MaxRestores+1), ",") + `]}`
	tests := []struct {
		name  string
		input string
		field string
	}{
		{"empty", ``, ""},
		{"blank", " \n\t", ""},
		{"null", `null`, ""},
		{"array", `[]`, ""},
		{"string", `"x"`, ""},
		{"number", `1`, ""},
		{"truncated", `{"instanceId":"crs-5a4py64p"`, ""},
		{"trailing object", `{` + ok + `} {}`, ""},
		{"trailing garbage", `{` + ok + `} x`, ""},
		{"trailing brace", `{` + ok + `}}`, ""},
		{"trailing bracket", `{` + ok + `}]`, ""},
		{"empty object", `{}`, "instanceId"},
		{"missing instanceId", `{"backupId":"678362566696298532848117"}`, "instanceId"},
		{"empty instanceId", `{"instanceId":" ","backupId":"678362566696298532848117"}`, "instanceId"},
		{"null instanceId", `{"instanceId":null,"backupId":"678362566696298532848117"}`, "instanceId"},
		{"bad instanceId crs-", `{"instanceId":"crs-","backupId":"678362566696298532848117"}`, "instanceId"},
		{"bad instanceId i-123", `{"instanceId":"i-123","backupId":"678362566696298532848117"}`, "instanceId"},
		{"bad instanceId with newline", `{"instanceId":"crs-5a4py64p\nx","backupId":"678362566696298532848117"}`, "instanceId"},
		{"number instanceId", `{"instanceId":5,"backupId":"678362566696298532848117"}`, "instanceId"},
		{"array instanceId", `{"instanceId":["crs-5a4py64p"],"backupId":"678362566696298532848117"}`, "instanceId"},
		{"missing backupId", `{"instanceId":"crs-5a4py64p"}`, "backupId"},
		{"empty backupId", `{"instanceId":"crs-5a4py64p","backupId":""}`, "backupId"},
		{"bad backupId", `{"instanceId":"crs-5a4py64p","backupId":"../etc"}`, "backupId"},
		{"number backupId", `{"instanceId":"crs-5a4py64p","backupId":678362566696298532848117}`, "backupId"},
		{"before without latest", `{` + ok + `,"before":"2026-11-29T03:00:00Z"}`, "before"},
		{"bad before", `{"instanceId":"crs-5a4py64p","backupId":"latest","before":"2026-11-29 03:00:00"}`, "before"},
		{"before without zone", `{"instanceId":"crs-5a4py64p","backupId":"latest","before":"2026-11-29T03:00:00"}`, "before"},
		{"number before", `{"instanceId":"crs-5a4py64p","backupId":"latest","before":1795921200}`, "before"},
		{"bad region", `{` + ok + `,"region":"Guangzhou"}`, "region"},
		{"short region", `{` + ok + `,"region":"gz"}`, "region"},
		{"number region", `{` + ok + `,"region":1}`, "region"},
		{"bad dryRun", `{` + ok + `,"dryRun":"maybe"}`, "dryRun"},
		{"number dryRun", `{` + ok + `,"dryRun":1}`, "dryRun"},
		{"number password", `{` + ok + `,"password":1234}`, "password"},
		{"long password", `{` + ok + `,"password":"` + strings.Repeat("p", 257) + `"}`, "password"},
		{"unknown field", `{` + ok + `,"instance":"crs-5a4py64p"}`, "instance"},
		{"unknown field, any case", `{` + ok + `,"DryRunX":true}`, "DryRunX"},
		{"duplicate instanceId", `{` + ok + `,"InstanceId":"crs-5a4py64p"}`, "instanceId"},
		{"duplicate backupId", `{` + ok + `,"BackupId":"678362566696298532848117"}`, "backupId"},
		{"duplicate password", `{` + ok + `,"password":"a","Password":"a"}`, "password"},
		{"restores empty", `{"restores":[]}`, "restores"},
		{"restores null", `{"restores":null}`, "restores"},
		{"restores object", `{"restores":{}}`, "restores"},
		{"restores string", `{"restores":"crs-5a4py64p"}`, "restores"},
		{"restores over the limit", many, "restores"},
		{"restores with another key", `{"restores":[` + restoreBody + `],"region":"ap-guangzhou"}`, "restores"},
		{"restores mixed with a request", `{"restores":[` + restoreBody + `],` + ok + `}`, "restores"},
		{"restores[0] not an object", `{"restores":["x"]}`, "restores[0]"},
		{"restores[0] null", `{"restores":[null]}`, "restores[0]"},
		{"restores[0] missing instanceId", `{"restores":[{"backupId":"latest"}]}`, "restores[0].instanceId"},
		{"restores[1] missing backupId", `{"restores":[` + restoreBody + `,{"instanceId":"crs-1amp2588"}]}`, "restores[1].backupId"},
		{"restores[1] unknown field", `{"restores":[` + restoreBody + `,{` + ok + `,"foo":1}]}`, "restores[1].foo"},
		{"restores[1] duplicate key", `{"restores":[` + restoreBody + `,{` + ok + `,"InstanceId":"crs-5a4py64p"}]}`, "restores[1].instanceId"},
		{"restores[1] nested batch", `{"restores":[` + restoreBody + `,{"restores":[` + restoreBody + `]}]}`, "restores[1].restores"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handler.ParseRequests([]byte(tt.input))
			if err == nil {
				t.Fatalf("accepted: %#v", got)
			}
			if got != nil {
				t.Errorf("requests %#v along with the error", got)
			}
			if k := failure.KindOf(err); k != failure.Invalid {
				t.Errorf("kind %v, want Invalid (%v)", k, err)
			}
			e := failure.As(err)
			check(t, "Field", e.Field, tt.field)
			check(t, "Code", e.Code, failure.CodeInvalidRequest)
			msg := err.Error()
			if tt.field != "" && !strings.HasPrefix(msg, tt.field+": ") {
				t.Errorf("error %q does not start with the field", msg)
			}
			if n := strings.Count(msg, failure.CodeInvalidRequest); n != 1 {
				t.Errorf("error %q names its code %d times", msg, n)
			}
		})
	}
}

// An error names the field at fault, never the password's value.
func TestParseRestoreRequestsErrorsHidePassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-Pa55word"
	for _, input := range []string{
		`{"instanceId":"crs-","backupId":"x","password":"` + secret + `"}`,
		`{"instanceId":"crs-5a4py64p","backupId":"x","password":"` + secret + strings.Repeat("!", 300) + `"}`,
		`{"instanceId":"crs-5a4py64p","backupId":"x","password":"` + secret + `","Password":"` + secret + `"}`,
		`{"instanceId":"crs-5a4py64p","backupId":"x","password":"` + secret + `","foo":1}`,
		`{"restores":[{"instanceId":"crs-5a4py64p","backupId":"x","password":"` + secret + `","region":"nowhere"}]}`,
	} {
		_, err := handler.ParseRequests([]byte(input))
		if err == nil {
			t.Errorf("%s: accepted", input)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestRestoreRequestNeverMarshalsPassword(t *testing.T) {
	t.Parallel()
	before := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)
	r := intent.Request{
		InstanceID: instance1, BackupID: intent.LatestBackup, Password: "s3cret-Pa55word",
		Region: "ap-guangzhou", Before: &before, DryRun: true,
	}
	for _, v := range []any{r, &r, []intent.Request{r}, map[string]any{"restores": []intent.Request{r}}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("s3cret")) || bytes.Contains(bytes.ToLower(b), []byte("password")) {
			t.Errorf("marshalled %T carries the password: %s", v, b)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, []byte(`{"instanceId":"crs-5a4py64p","backupId":"latest","region":"ap-guangzhou","before":"2026-11-28T19:00:00Z","dryRun":true}`), b)

	b, err = json.Marshal(intent.Request{InstanceID: instance1, BackupID: backup1, Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, []byte(restoreBody), b)

	// Parsed from the wire, the password is kept for the restore and still
	// never marshalled.
	reqs, err := handler.ParseRequests(readFixture(t, "direct.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Password", reqs[0].Password, "demo-password")
	b, err = json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("demo-password")) {
		t.Errorf("marshalled requests carry the password: %s", b)
	}
}

func TestIsRestoreRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want bool
	}{
		{restoreBody, true},
		{`{"InstanceId":"crs-5a4py64p"}`, true},
		{`{"backupId":"latest"}`, true},
		{`{"Restores":[]}`, true},
		{`{}`, false},
		{`{"foo":1}`, false},
		{`{"alarmStatus":"1","alarmObjInfo":{"dimensions":{"InstanceId":"crs-5a4py64p"}}}`, false},
	}
	for _, tt := range tests {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.json), &obj); err != nil {
			t.Fatal(err)
		}
		check(t, "IsRestoreRequest("+tt.json+")", handler.IsRestoreRequest(obj), tt.want)
	}
}

func FuzzParseRestoreRequests(f *testing.F) {
	seedFixtures(f)
	seedBodies(f)
	f.Add([]byte(`{"instanceId":"crs-5a4py64p","backupId":"latest","before":"2026-11-29T03:00:00+08:00","dryRun":"true"}`))
	f.Add([]byte(`{"restores":[{"InstanceId":"crs-5a4py64p","BackupId":"x","Region":"ap-guangzhou","Password":"p"}]}`))
	f.Add([]byte(`{"instanceId":"crs-5a4py64p","InstanceId":"crs-5a4py64p","backupId":"x"}`))
	f.Add([]byte(`{"restores":[{}, null, "x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRestoreRequests(t, data)
	})
}

func TestBatchRefusesTheSameInstanceTwice(t *testing.T) {
	t.Parallel()
	_, err := handler.ParseRequests([]byte(`{"restores":[
		{"instanceId":"crs-5a4py64p","backupId":"latest"},
		{"instanceId":"crs-1amp2588","backupId":"latest"},
		{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}]}`))
	e := failure.As(err)
	if err == nil || e.Kind != failure.Invalid || e.Field != "restores[2].instanceId" || !strings.Contains(e.Message, "restores[0]") {
		t.Fatalf("err %v", err)
	}
}
