package broker

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// authBeforeBody authenticates a request whose product and device are in
// its body (the thing-model calls) before the body is read: the token's own
// res names the product (and device), and the token must be valid for
// them. After the body is read, target checks that it names the same
// product and device. An unauthenticated client thus never has its body
// read, however slowly it sends it.
func (a *api) authBeforeBody(r *http.Request) *apiError {
	tok := strings.TrimSpace(r.Header.Get("Authorization"))
	if tok == "" {
		return errf(http.StatusUnauthorized, apiUnauthorized, "missing authorization header: give a token with res=products/{product_id} signed with the product key (notes §6)")
	}
	t, err := token.Parse(tok)
	if err != nil {
		return errf(http.StatusUnauthorized, apiUnauthorized, "%v", err).quiet(describeTokenErr(err))
	}
	rest, _ := strings.CutPrefix(t.Res, "products/")
	pid, dev, _ := strings.Cut(rest, "/devices/")
	if !strings.HasPrefix(t.Res, "products/") || pid == "" {
		return errf(http.StatusUnauthorized, apiUnauthorized, "the token's res is %s; this request needs products/{product_id} or products/{product_id}/devices/{device_name}", logsafe.Q(t.Res))
	}
	return a.auth(r, pid, dev)
}

// dropUnreadBody ends the connection of a refused request without reading
// the body it still has to send: net/http would otherwise read (and
// discard) up to 256 KB of it, at the client's pace, after the answer.
func dropUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// bodyError is the answer to a body that could not be read for another
// reason than its size (which the caller reports): it did not arrive in
// time, or the client went away. nil for a size error or none.
func bodyError(err error) *apiError {
	var mb *http.MaxBytesError
	if err == nil || errors.As(err, &mb) {
		return nil
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return errf(http.StatusRequestTimeout, apiBadRequest, "the body did not arrive in full within the server's read timeout")
	}
	return errf(http.StatusBadRequest, apiBadRequest, "the body did not arrive in full: the client stopped sending it")
}
