package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// TestSIGTERMClosesEveryKind: SIGTERM with a device on the WebSocket
// listener (as the page connects), another on TCP, and a page connection
// relayed by /bridge: the WebSocket device sees a close frame (EOF, not a
// reset or a timeout), the TCP device EOF, the relayed page close code 1001
// "bridge shutting down", and the server exits 0 without logging a secret.
func TestSIGTERMClosesEveryKind(t *testing.T) {
	bin := build(t)
	reg := filepath.Join(t.TempDir(), "devices.json")
	two := strings.Replace(registry, `"devices":[`, `"devices":[{"name":"ws_dev","key":"KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw="},`, 1)
	if err := os.WriteFile(reg, []byte(two), 0o600); err != nil {
		t.Fatal(err)
	}
	// The relay's target: a plain TCP listener that holds connections.
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tln.Close()
	go func() {
		for {
			c, err := tln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	cmd, page, addr, logs := start(t, bin, "-devices", reg, "-bridge-allow", tln.Addr().String())
	wsBase := "ws" + strings.TrimPrefix(strings.TrimSuffix(page, "/"), "http")

	tokenFor := func(dev, key string) string {
		s, err := token.Generate(token.Params{Res: "products/469948/devices/" + dev, Key: key, ET: time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	connect := func(dev, key, broker string, ws bool) chan error {
		lost := make(chan error, 1)
		o := paho.NewClientOptions().AddBroker(broker).SetClientID(dev).SetUsername("469948").SetPassword(tokenFor(dev, key)).
			SetProtocolVersion(4).SetAutoReconnect(false).SetKeepAlive(60 * time.Second).SetConnectTimeout(20 * time.Second).
			SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
		if ws {
			o.SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
				if err != nil {
					return nil, err
				}
				return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
			})
		}
		c := paho.NewClient(o)
		if tk := c.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
			t.Fatalf("connect %s: %v\n%s", dev, tk.Error(), logs.String())
		}
		return lost
	}
	wsLost := connect("ws_dev", "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", wsBase+"/mqtt", true)
	tcpLost := connect("Chic_D", "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", "tcp://"+addr, false)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	relayed, _, err := websocket.Dial(ctx, wsBase+"/bridge?target="+tln.Addr().String(), &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	defer relayed.CloseNow()
	relayClosed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := relayed.Read(ctx); err != nil {
				relayClosed <- err
				return
			}
		}
	}()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for name, lost := range map[string]chan error{"WebSocket device": wsLost, "TCP device": tcpLost} {
		select {
		case err := <-lost:
			if err == nil || !strings.Contains(err.Error(), "EOF") {
				t.Errorf("%s: connection lost with %v, want EOF (a clean close)", name, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s: not disconnected after SIGTERM", name)
		}
	}
	select {
	case err := <-relayClosed:
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "bridge shutting down" {
			t.Errorf("relayed connection: %v, want close 1001 \"bridge shutting down\"", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("the relayed connection was not closed after SIGTERM")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	for _, secret := range []string{"kKsub", "rs2Fa", "KuF3NT", "sign="} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret (%q):\n%s", secret, logs.String())
		}
	}
}
