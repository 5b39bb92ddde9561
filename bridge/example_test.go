package bridge_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/onenet-wasm/onenet-wasm/bridge"
)

// Serve the bridge beside the page, on the page's own origin.
func ExampleNew() {
	relay := bridge.New(bridge.Options{}) // OneNET's four endpoints, same-origin pages
	mux := http.NewServeMux()
	mux.Handle("/bridge", relay)
	mux.Handle("/", http.FileServer(http.Dir("web")))
	srv := &http.Server{Addr: "localhost:8080", Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()

	// The page: new WebSocket("ws://localhost:8080/bridge?target=mqttstls.heclouds.com:8883", "mqtt")

	// At shutdown: Shutdown does not see the hijacked WebSocket
	// connections; Close ends them.
	srv.Shutdown(context.Background())
	relay.Close()
}

func ExampleParseTarget() {
	for _, q := range []string{
		"MQTTStls.HeClouds.com:8883",
		"mqtt://mqtts.heclouds.com:1883",
		"mqtts.heclouds.com",
	} {
		if t, err := bridge.ParseTarget(q); err != nil {
			fmt.Println(err)
		} else {
			fmt.Println(t)
		}
	}
	// Output:
	// mqttstls.heclouds.com:8883
	// bridge: target: must not have a scheme (mqtt://, ws://, …); want host:port, e.g. mqttstls.heclouds.com:8883
	// bridge: target: missing port; want host:port, e.g. mqttstls.heclouds.com:8883
}
