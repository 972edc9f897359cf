package cloud_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/failure"
)

func TestInvokeAsyncDeliversTheEvent(t *testing.T) {
	v := newCloudEnv(t)
	v.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 30})
	var mu sync.Mutex
	var got []string
	v.emu.SetInvoker(func(_ context.Context, function string, event []byte) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, function+" "+string(event))
		return nil
	})
	id, err := v.session().InvokeAsync(ctx(t), v.demo.Region, "", "redis-restore", "", []byte(`{"instanceId":"crs-5a4py64p"}`))
	if err != nil {
		t.Fatal(err)
	}
	v.emu.WaitInvocations()
	inv := v.emu.Invocations()
	if len(inv) != 1 || inv[0].RequestID != id || inv[0].Type != "Event" || inv[0].Namespace != "default" || inv[0].Qualifier != "$LATEST" {
		t.Fatalf("request id %q, invocations %+v", id, inv)
	}
	if len(got) != 1 || got[0] != `redis-restore {"instanceId":"crs-5a4py64p"}` {
		t.Fatalf("delivered %q", got)
	}
}

func TestInvokeAsyncErrors(t *testing.T) {
	v := newCloudEnv(t)
	v.emu.SetInvoker(func(context.Context, string, []byte) error { return nil })

	_, err := v.session().InvokeAsync(ctx(t), v.demo.Region, "", "missing", "", []byte(`{}`))
	if e := asFailure(t, err); e.Kind != failure.NotFound || e.Code != "ResourceNotFound.Function" || e.RequestID == "" {
		t.Fatalf("missing function: %+v", e)
	}

	calls := v.emu.Calls("Invoke")
	big := []byte(`"` + strings.Repeat("x", 128<<10) + `"`)
	for name, event := range map[string][]byte{"too large": big, "not JSON": []byte("{")} {
		_, err := v.session().InvokeAsync(ctx(t), v.demo.Region, "", "fn", "", event)
		if e := asFailure(t, err); e.Kind != failure.Invalid || e.Field != "ClientContext" {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if v.emu.Calls("Invoke") != calls {
		t.Fatal("an event refused on our side was sent anyway")
	}

	done, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-done.Done()
	_, err = v.session().InvokeAsync(done, v.demo.Region, "", "fn", "", []byte(`{}`))
	if e := asFailure(t, err); e.Kind != failure.Transient || e.Code != failure.CodeDeadlineExceeded {
		t.Fatalf("past deadline: %+v", e)
	}
}
