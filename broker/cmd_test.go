package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// responder answers every cmd/request/{id} on cmd/response/{id} with
// "re:"+request, except requests "ignore". It records the ids it saw.
func responder(t testing.TB, c *client, pid, dev string) chan string {
	t.Helper()
	ids := make(chan string, 16)
	pre := "$sys/" + pid + "/" + dev + "/"
	st := c.Subscribe(pre+"cmd/request/+", 0, func(cl paho.Client, m paho.Message) {
		id := strings.TrimPrefix(m.Topic(), pre+"cmd/request/")
		ids <- id
		if string(m.Payload()) == "ignore" {
			return
		}
		go cl.Publish(pre+"cmd/response/"+id, 1, false, "re:"+string(m.Payload()))
	})
	if !st.WaitTimeout(wait) || st.Error() != nil {
		t.Fatalf("subscribe: %v", st.Error())
	}
	return ids
}

// TestCommand: SendCommand round trip over TCP and WebSocket, timeout, and
// the device's accepted/rejected replies (docs/PROTOCOL.md §8).
func TestCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	for _, via := range []string{"tcp", "ws"} {
		t.Run(via, func(t *testing.T) {
			dev := map[string]string{"tcp": "dev1", "ws": "dev2"}[via]
			pre := "$sys/prod1/" + dev + "/"
			c := e.mustDial(t, via, "prod1", dev)
			c.sub(t, 0, pre+"cmd/response/+/+")
			ids := responder(t, c, "prod1", dev)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()

			resp, err := e.b.SendCommand(ctx, "prod1", dev, []byte("ping"))
			if err != nil {
				t.Fatal(err)
			}
			if string(resp) != "re:ping" {
				t.Errorf("response %q, want re:ping", resp)
			}
			id := <-ids
			if len(id) != 36 || id[14] != '4' {
				t.Errorf("command id %q is not a UUID v4", id)
			}
			if m := c.expect(t, pre+"cmd/response/"+id+"/accepted"); len(m.payload) != 0 {
				t.Errorf("accepted payload %q, want empty", m.payload)
			}

			// Timeout; a late answer is rejected with 112, an unknown
			// id with 113.
			short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel2()
			_, err = e.b.SendCommand(short, "prod1", dev, []byte("ignore"))
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err %v, want ErrTimeout", err)
			}
			late := <-ids
			c.pub(t, pre+"cmd/response/"+late, 1, "late")
			checkCmdRejected(t, c.expect(t, pre+"cmd/response/"+late+"/rejected"), 112)
			c.pub(t, pre+"cmd/response/no-such-id", 0, "x")
			checkCmdRejected(t, c.expect(t, pre+"cmd/response/no-such-id/rejected"), 113)

			// A response of 1 KB or more: the caller learns why, the
			// device gets 99 (docs/PROTOCOL.md §8.2; this test expected
			// 100, "internal error", before).
			big := c.Subscribe(pre+"cmd/request/+", 0, func(cl paho.Client, m paho.Message) {
				id := strings.TrimPrefix(m.Topic(), pre+"cmd/request/")
				go cl.Publish(pre+"cmd/response/"+id, 0, false, strings.Repeat("r", 1024))
			})
			big.WaitTimeout(wait)
			_, err = e.b.SendCommand(ctx, "prod1", dev, []byte("big"))
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("big response: err %v, want ErrTooLarge", err)
			}
			m := c.next(t)
			checkCmdRejected(t, m, 99)
		})
	}
}

func checkCmdRejected(t testing.TB, m message, code int) {
	t.Helper()
	var r struct {
		ErrCode int    `json:"err_code"`
		ErrMsg  string `json:"err_msg"`
	}
	want := map[int]string{99: "maximum payload size exceeded", 112: "cmd response timeout", 113: "cmd id not found"}[code]
	if err := json.Unmarshal(m.payload, &r); err != nil || r.ErrCode != code || r.ErrMsg != want {
		t.Errorf("%s: %s, want err_code %d and err_msg %q (docs/PROTOCOL.md §8.2)", m.topic, m.payload, code, want)
	}
}

// TestCommandNotReady: offline, not subscribed, unknown, too large.
func TestCommandNotReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	ctx := context.Background()
	if _, err := e.b.SendCommand(ctx, "prod1", "dev1", []byte("x")); !errors.Is(err, ErrOffline) {
		t.Errorf("offline: %v", err)
	}
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	if _, err := e.b.SendCommand(ctx, "prod1", "dev1", []byte("x")); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("not subscribed: %v", err)
	}
	c.sub(t, 0, "$sys/prod1/dev1/dp/post/json/accepted")
	if _, err := e.b.SendCommand(ctx, "prod1", "dev1", []byte("x")); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("subscribed elsewhere: %v", err)
	}
	if _, err := e.b.SendCommand(ctx, "prod1", "ghost", []byte("x")); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("unknown device: %v", err)
	}
	if _, err := e.b.SendCommand(ctx, "prod1", "dev1", make([]byte, 1024) /* "小于1k": docs/PROTOCOL.md §8.3; this was 20 KB + 1 */); !errors.Is(err, ErrTooLarge) {
		t.Errorf("21 KB command: %v", err)
	}
}

// TestCommandClose: Close ends a waiting SendCommand.
func TestCommandClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	ids := responder(t, c, "prod1", "dev1")
	errc := make(chan error, 1)
	go func() {
		_, err := e.b.SendCommand(context.Background(), "prod1", "dev1", []byte("ignore"))
		errc <- err
	}()
	<-ids
	e.b.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("err %v, want ErrClosed", err)
		}
	case <-time.After(wait):
		t.Fatal("SendCommand still waits after Close")
	}
	c.waitLost(t, "Close")
}
