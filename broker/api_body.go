package broker

import (
	"errors"
	"net/http"
	"strconv"
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
		return errf(http.StatusUnauthorized, apiUnauthorized, "missing authorization header: give a token with res=products/{product_id} signed with the product key (docs/PROTOCOL.md §6)")
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

// maxAnswerBytes bounds the datapoint values in one history-datapoints
// answer; past it the answer ends with a "cursor" for the next page, as
// OneNET's does when it cannot return everything at once (limit stays
// OneNET's 1 to 6000 points).
var maxAnswerBytes = 4 << 20

// answerPointOverhead is what a point costs in the answer besides its
// value: {"at":"2006-01-02 15:04:05.000","value":…},
const answerPointOverhead = 48

// cursor is where a history-datapoints page starts: the index of a
// datastream among those asked for, and of a point among its selected
// ones. Written "stream_point".
type cursor struct{ stream, point int }

func parseCursor(s string) (cursor, *apiError) {
	if s == "" {
		return cursor{}, nil
	}
	a, b, ok := strings.Cut(s, "_")
	i, err1 := strconv.Atoi(a)
	j, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || i < 0 || j < 0 {
		return cursor{}, errf(http.StatusBadRequest, apiBadRequest, "cursor=%s: give the cursor of the previous answer unchanged", logsafe.Q(s))
	}
	return cursor{i, j}, nil
}
