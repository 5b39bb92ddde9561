package server

import (
	"net"
	"net/http"
	"strings"
)

// realClient makes r.RemoteAddr the address a reverse proxy on this host
// saw, from the X-Real-IP header it sets (deploy/nginx.conf), when the
// request comes from loopback. Behind a proxy every request comes from
// the proxy's address: without this, the relay's per-client connection
// cap and the broker's per-address login throttle would count the whole
// team as one client, and the logs would name the proxy. A request from
// elsewhere keeps its address, whatever header it sends.
func realClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := net.ParseIP(strings.TrimSpace(r.Header.Get("X-Real-IP"))); ip != nil {
			if host, port, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				if peer := net.ParseIP(host); peer != nil && peer.IsLoopback() {
					r2 := *r
					r2.RemoteAddr = net.JoinHostPort(ip.String(), port)
					r = &r2
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
