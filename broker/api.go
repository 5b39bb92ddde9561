package broker

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// API error codes besides 0 (success). 10500 is OneNET's "device not
// subscribed" (docs/PROTOCOL.md §6); the others are this broker's, mostly the HTTP
// status of the problem.
const (
	apiOK            = 0
	apiBadRequest    = 400
	apiUnauthorized  = 401
	apiNotFound      = 404
	apiBadMethod     = 405
	apiTooLarge      = 413
	apiClosed        = 503
	apiNotSubscribed = 10500 // device offline or not subscribed to the request topic
	apiTimeout       = 10501 // the device did not answer in time
)

// cst is China Standard Time, in which OneNET's API writes and reads times.
var cst = time.FixedZone("CST", 8*3600)

// apiTime is the time format of OneNET's API: "2017-01-01 10:00:00.000" (CST).
const apiTime = "2006-01-02 15:04:05.000"

// APIHandler returns the local platform API, shaped like OneNET's
// (docs/PROTOCOL.md §6). Paths are served with or without an "/api" prefix:
//
//	GET  /devices?product_id=P
//	GET  /datapoint/current-datapoints?product_id=P&device_name=D
//	GET  /datapoint/history-datapoints?product_id=P&device_name=D[&datastream_id=ds][&start=2006-01-02T15:04:05][&end=…][&limit=N][&sort=ASC|DESC][&cursor=C]
//	POST /datapoint/synccmds?product_id=P&device_name=D[&timeout=S]   body: the command bytes
//	GET  /thingmodel/query-device-property?product_id=P&device_name=D
//	POST /thingmodel/set-device-property   {"product_id","device_name","params":{…}[,"timeout":S]}
//	POST /thingmodel/call-service          {"product_id","device_name","identifier","params":{…}[,"timeout":S]}
//	POST /thingmodel/get-device-property   {"product_id","device_name","params":["Id",…][,"timeout":S]}
//	POST /thingmodel/set-device-desired-property {"product_id","device_name","params":{"Id":value,…}}
//	GET  /thingmodel/query-device-desired-property?product_id=P&device_name=D
//	GET  /thingmodel/query-device-property-history?product_id=P&device_name=D&identifier=Id[&limit=N]
//	POST /ota/inform                       {"product_id","device_name","params":{…}[,"timeout":S]}
//	GET  /ota/status?product_id=P&device_name=D
//	POST /gateway/topo                     {"product_id","device_name","params":{"subList":[{"productID","deviceName"},…]}[,"timeout":S]}
//
// timeout is in seconds, 1 to 30, default 10. A history-datapoints answer
// holds at most 4 MiB of values; when it holds less than was asked for it
// has a "cursor" to give back for the rest, as OneNET's has.
//
// Every request needs the header "authorization: <token>" with
// res=products/{pid} signed with the product key, or, for a request naming
// a device, res=products/{pid}/devices/{name} signed with its device key or
// the product key. Every answer is JSON {"code":0,"msg":"succ",
// "request_id":"…","data":{…}}; errors have a non-zero code and say what is
// wrong in msg: 401 (authorization), 400 (parameters, body), 404 (unknown
// product, device or path), 405 (method), 413 (command or body too large)
// with the same HTTP status; 10500 (device offline or not subscribed) and
// 10501 (no answer in time) with HTTP 200, as OneNET answers. Times are CST ("2006-01-02
// 15:04:05.000"), as OneNET writes them.
func (b *Broker) APIHandler() http.Handler {
	a := &api{b: b, mux: http.NewServeMux()}
	for p, rt := range routes {
		// "GET /devices" answers HEAD too; the path without a method
		// answers the other methods: 405 with Allow.
		a.mux.HandleFunc(rt.method+" "+p, func(w http.ResponseWriter, r *http.Request) {
			data, aerr := rt.fn(a, r)
			a.respond(w, r, data, aerr)
		})
		a.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", rt.method)
			a.respond(w, r, nil, errf(http.StatusMethodNotAllowed, apiBadMethod, "%s %s: use %s",
				logsafe.Word(r.Method), logsafe.Word(r.URL.Path), rt.method))
		})
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.respond(w, r, nil, errf(http.StatusNotFound, apiNotFound, "no API at %s: see the paths in the broker package documentation",
			logsafe.Word(requestPath(r))))
	})
	return a
}

type api struct {
	b   *Broker
	mux *http.ServeMux // routes, by method and path
}

type apiResponse struct {
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
	RequestID string `json:"request_id"`
	Data      any    `json:"data,omitempty"`
}

// apiError is a failed request: the HTTP status and the JSON code and msg.
// logMsg, when set, is what the log says instead of msg, which may quote
// the token or the body.
type apiError struct {
	status, code int
	msg, logMsg  string
}

func errf(status, code int, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// quiet sets what the log says of e.
func (e *apiError) quiet(logMsg string) *apiError {
	e.logMsg = logMsg
	return e
}

type route struct {
	method string
	fn     func(*api, *http.Request) (any, *apiError)
}

var routes = map[string]route{
	"/devices":                                  {http.MethodGet, (*api).devices},
	"/datapoint/current-datapoints":             {http.MethodGet, (*api).current},
	"/datapoint/history-datapoints":             {http.MethodGet, (*api).history},
	"/datapoint/synccmds":                       {http.MethodPost, (*api).synccmds},
	"/thingmodel/query-device-property":         {http.MethodGet, (*api).queryProperty},
	"/thingmodel/set-device-property":           {http.MethodPost, (*api).setProperty},
	"/thingmodel/call-service":                  {http.MethodPost, (*api).callService},
	"/thingmodel/get-device-property":           {http.MethodPost, (*api).getProperty},
	"/thingmodel/set-device-desired-property":   {http.MethodPost, (*api).setDesired},
	"/thingmodel/query-device-desired-property": {http.MethodGet, (*api).queryDesired},
	"/thingmodel/query-device-property-history": {http.MethodGet, (*api).queryPropertyHistory},
}

// ServeHTTP serves a request by its path without the "/api" prefix and a
// trailing slash, cleaned (so that the mux never redirects).
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/api"); ok && (rest == "" || rest[0] == '/') {
		p = rest
	}
	p = path.Clean("/" + strings.TrimSuffix(p, "/"))
	if p != r.URL.Path {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2.URL = &u
		r = r2
	}
	a.mux.ServeHTTP(w, r)
}

// requestPath is the path the client asked for, before ServeHTTP's changes.
func requestPath(r *http.Request) string {
	if p, _, _ := strings.Cut(r.RequestURI, "?"); p != "" {
		return p
	}
	return r.URL.Path
}

// respond writes the JSON answer: data, or aerr's code and message.
func (a *api) respond(w http.ResponseWriter, r *http.Request, data any, aerr *apiError) {
	resp := apiResponse{Code: apiOK, Msg: "succ", RequestID: a.requestID(), Data: data}
	status := http.StatusOK
	if aerr != nil {
		resp = apiResponse{Code: aerr.code, Msg: aerr.msg, RequestID: resp.RequestID}
		status = aerr.status
		msg := aerr.msg
		if aerr.logMsg != "" {
			msg = aerr.logMsg
		}
		a.b.logf("api: %s %s: %d %s", logsafe.Word(r.Method), logsafe.Word(r.URL.Path), aerr.code, logsafe.Cut(msg, 512))
		dropUnreadBody(w, r)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

func (a *api) requestID() string {
	var u [16]byte
	a.b.randMu.Lock()
	_, err := io.ReadFull(a.b.opts.Rand, u[:])
	a.b.randMu.Unlock()
	if err != nil {
		return strconv.FormatInt(a.b.now().UnixNano(), 16)
	}
	return hex.EncodeToString(u[:])
}

// auth checks the authorization header for product pid and, if not empty,
// device dev (docs/PROTOCOL.md §6).
func (a *api) auth(r *http.Request, pid, dev string) *apiError {
	tok := strings.TrimSpace(r.Header.Get("Authorization"))
	if tok == "" {
		return errf(http.StatusUnauthorized, apiUnauthorized, "missing authorization header: give a token with res=products/%s signed with the product key (docs/PROTOCOL.md §6)", pid)
	}
	p := a.b.products[pid]
	if p == nil {
		return errf(http.StatusUnauthorized, apiUnauthorized, "cannot check the token: no product %s", logsafe.Q(pid))
	}
	t, err := token.Parse(tok)
	if err != nil {
		return errf(http.StatusUnauthorized, apiUnauthorized, "%v", err).quiet(describeTokenErr(err))
	}
	opts := token.VerifyOptions{Now: a.b.now(), Res: t.Res}
	switch {
	case t.Res == "products/"+pid:
		_, err = token.Verify(tok, p.Key, opts)
	case dev != "" && t.Res == "products/"+pid+"/devices/"+dev:
		d := a.b.devices[pid+"/"+dev]
		if d == nil {
			return errf(http.StatusNotFound, apiNotFound, "product %s has no device %s", logsafe.Q(pid), logsafe.Q(dev))
		}
		err = token.ErrSignMismatch
		if d.devKey != "" {
			_, err = token.Verify(tok, d.devKey, opts)
		}
		if token.CodeOf(err) == token.ErrSignMismatch.Code {
			_, err = token.Verify(tok, p.Key, opts)
		}
	default:
		want := "products/" + pid
		if dev != "" {
			want += " or products/" + pid + "/devices/" + dev
		}
		return errf(http.StatusUnauthorized, apiUnauthorized, "the token's res is %s; this request needs %s", logsafe.Q(t.Res), logsafe.Cut(want, 256))
	}
	if err != nil {
		return errf(http.StatusUnauthorized, apiUnauthorized, "%v", err).quiet(describeTokenErr(err))
	}
	return nil
}

// target reads and authorizes product_id and, when needDev, device_name.
func (a *api) target(r *http.Request, pid, dev string, needDev bool) (*device, *apiError) {
	if pid == "" {
		return nil, errf(http.StatusBadRequest, apiBadRequest, "product_id is missing")
	}
	if needDev && dev == "" {
		return nil, errf(http.StatusBadRequest, apiBadRequest, "device_name is missing")
	}
	if aerr := a.auth(r, pid, dev); aerr != nil {
		return nil, aerr
	}
	if !needDev {
		return nil, nil
	}
	d := a.b.devices[pid+"/"+dev]
	if d == nil {
		return nil, errf(http.StatusNotFound, apiNotFound, "product %s has no device %s", logsafe.Q(pid), logsafe.Q(dev))
	}
	return d, nil
}

func (a *api) devices(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	pid := q.Get("product_id")
	if _, aerr := a.target(r, pid, "", false); aerr != nil {
		return nil, aerr
	}
	type item struct {
		Name     string  `json:"name"`
		Online   bool    `json:"online"`
		Status   int     `json:"status"` // 1 online, 0 offline
		LastTime *string `json:"last_time"`
	}
	list := []item{}
	for _, s := range a.b.Devices(pid) {
		it := item{Name: s.Name, Online: s.Online}
		if s.Online {
			it.Status = 1
		}
		if !s.LastSeen.IsZero() {
			t := s.LastSeen.In(cst).Format(apiTime)
			it.LastTime = &t
		}
		list = append(list, it)
	}
	return map[string]any{"total": len(list), "list": list}, nil
}

type apiPoint struct {
	At    string          `json:"at"`
	Value json.RawMessage `json:"value"`
}

func (a *api) current(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	type stream struct {
		ID    string          `json:"id"`
		At    string          `json:"at"`
		Value json.RawMessage `json:"value"`
	}
	streams := []stream{}
	d.mu.Lock()
	for _, id := range sortedKeys(d.streams) {
		if p, ok := d.streams[id].last(); ok {
			streams = append(streams, stream{id, p.At.In(cst).Format(apiTime), p.Value})
		}
	}
	d.mu.Unlock()
	return map[string]any{"devices": []any{map[string]any{"title": d.name, "datastreams": streams}}}, nil
}

// parseAPITime reads a time as OneNET's API takes it, in CST.
func parseAPITime(name, s string) (time.Time, *apiError) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05.000", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, cst); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errf(http.StatusBadRequest, apiBadRequest, "%s=%s: want a time such as 2017-01-01T00:00:00 (China Standard Time)", name, logsafe.Q(s))
}

func (a *api) history(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 6000 {
			return nil, errf(http.StatusBadRequest, apiBadRequest, "limit=%s: want a whole number from 1 to 6000", logsafe.Q(s))
		}
		limit = n
	}
	var start, end time.Time
	if s := q.Get("start"); s != "" {
		if start, aerr = parseAPITime("start", s); aerr != nil {
			return nil, aerr
		}
	}
	if s := q.Get("end"); s != "" {
		if end, aerr = parseAPITime("end", s); aerr != nil {
			return nil, aerr
		}
	}
	desc := false
	switch s := strings.ToUpper(q.Get("sort")); s {
	case "", "ASC":
	case "DESC":
		desc = true
	default:
		return nil, errf(http.StatusBadRequest, apiBadRequest, "sort=%s: want ASC or DESC", logsafe.Q(q.Get("sort")))
	}
	var ids []string
	if s := q.Get("datastream_id"); s != "" {
		ids = strings.Split(s, ",")
	}
	all := a.b.Datapoints(d.pid, d.name)
	if ids == nil {
		ids = sortedKeys(all)
	}
	type stream struct {
		ID         string     `json:"id"`
		Datapoints []apiPoint `json:"datapoints"`
	}
	out := []stream{}
	count := 0
	from, aerr := parseCursor(q.Get("cursor"))
	if aerr != nil {
		return nil, aerr
	}
	budget := maxAnswerBytes
	next := ""
	for i, id := range ids {
		pts, ok := all[id]
		if !ok || i < from.stream || next != "" {
			continue
		}
		var sel []StoredPoint
		for _, p := range pts {
			if (!start.IsZero() && p.At.Before(start)) || (!end.IsZero() && p.At.After(end)) {
				continue
			}
			sel = append(sel, p)
		}
		sort.SliceStable(sel, func(i, j int) bool { return sel[i].At.Before(sel[j].At) })
		if desc {
			for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
				sel[i], sel[j] = sel[j], sel[i]
			}
		}
		skip := 0
		if i == from.stream {
			skip = min(from.point, len(sel))
		}
		sel = sel[skip:]
		if len(sel) > limit {
			sel = sel[:limit]
		}
		s := stream{ID: id, Datapoints: []apiPoint{}}
		for j, p := range sel {
			if budget -= len(p.Value) + answerPointOverhead; budget < 0 && count+len(s.Datapoints) > 0 {
				next = fmt.Sprintf("%d_%d", i, skip+j) // the rest in the next page
				break
			}
			s.Datapoints = append(s.Datapoints, apiPoint{p.At.In(cst).Format(apiTime), p.Value})
		}
		count += len(s.Datapoints)
		out = append(out, s)
	}
	data := map[string]any{"count": count, "datastreams": out}
	if next != "" {
		data["cursor"] = next
	}
	return data, nil
}

// waitError turns a platform call's error into the API's answer.
func waitError(err error) *apiError {
	switch {
	case errors.Is(err, ErrOffline), errors.Is(err, ErrNotSubscribed):
		return errf(http.StatusOK, apiNotSubscribed, "device not online or not subscribed: %s", strings.TrimPrefix(err.Error(), "broker: "))
	case errors.Is(err, ErrTimeout):
		return errf(http.StatusOK, apiTimeout, "the device did not answer in time: %s", strings.TrimPrefix(err.Error(), "broker: "))
	case errors.Is(err, ErrUnknownDevice):
		return errf(http.StatusNotFound, apiNotFound, "%s", strings.TrimPrefix(err.Error(), "broker: "))
	case errors.Is(err, ErrTooLarge):
		return errf(http.StatusRequestEntityTooLarge, apiTooLarge, "%s", strings.TrimPrefix(err.Error(), "broker: "))
	case errors.Is(err, ErrRateLimited):
		return errf(http.StatusTooManyRequests, http.StatusTooManyRequests, "%s", strings.TrimPrefix(err.Error(), "broker: "))
	case errors.Is(err, ErrClosed):
		return errf(http.StatusServiceUnavailable, apiClosed, "the broker is closed")
	}
	return errf(http.StatusBadRequest, apiBadRequest, "%s", strings.TrimPrefix(err.Error(), "broker: "))
}

// timeoutParam reads "timeout" in seconds (default 10, 1 to 30).
func timeoutParam(s string) (time.Duration, *apiError) {
	if s == "" {
		return 10 * time.Second, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 30 {
		return 0, errf(http.StatusBadRequest, apiBadRequest, "timeout=%s: want whole seconds from 1 to 30", logsafe.Q(s))
	}
	return time.Duration(n) * time.Second, nil
}

func (a *api) synccmds(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	timeout, aerr := timeoutParam(q.Get("timeout"))
	if aerr != nil {
		return nil, aerr
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, onenet.MaxCmdRequest+1))
	if aerr := bodyError(err); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, errf(http.StatusRequestEntityTooLarge, apiTooLarge, "the command is too large: OneNET takes commands under 1 KB, at most %d bytes (docs/PROTOCOL.md §8.3)", onenet.MaxCmdRequest)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	id, resp, err := a.b.sendCommand(ctx, d.pid, d.name, body)
	if err != nil {
		return nil, waitError(err)
	}
	return map[string]any{"cmd_uuid": id, "cmd_resp": base64.StdEncoding.EncodeToString(resp)}, nil
}

func (a *api) queryProperty(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	type prop struct {
		Identifier string          `json:"identifier"`
		Time       int64           `json:"time"`
		Value      json.RawMessage `json:"value"`
	}
	props := a.b.Properties(d.pid, d.name)
	out := []prop{}
	for _, id := range sortedKeys(props) {
		out = append(out, prop{id, props[id].At.UnixMilli(), props[id].Value})
	}
	return out, nil
}

// thingBody is the JSON body of the thing-model calls.
type thingBody struct {
	ProductID  string          `json:"product_id"`
	DeviceName string          `json:"device_name"`
	Identifier string          `json:"identifier"`
	Params     json.RawMessage `json:"params"`
	Timeout    int             `json:"timeout"` // seconds; 0 = 10
}

func readThingBody(r *http.Request) (*thingBody, *apiError) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, onenet.MaxPayload))
	if aerr := bodyError(err); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, errf(http.StatusRequestEntityTooLarge, apiTooLarge, "the body is larger than %d bytes", onenet.MaxPayload)
	}
	var tb thingBody
	if err := json.Unmarshal(data, &tb); err != nil {
		return nil, errf(http.StatusBadRequest, apiBadRequest, "the body is not the expected JSON: %s", jsonProblem(data, err)).
			quiet("the body is not the expected JSON")
	}
	if tb.Params == nil {
		return nil, errf(http.StatusBadRequest, apiBadRequest, `"params" is missing: give an object such as {"Power":"on"}`)
	}
	return &tb, nil
}

// jsonProblem says what is wrong with a JSON body, and where.
func jsonProblem(data []byte, err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		off := int(syn.Offset) - 1 // the offending byte
		if syn.Offset >= int64(len(data)) && strings.Contains(syn.Error(), "end of JSON input") {
			off = len(data) // just past the end
		}
		line, col := position(data, off)
		return fmt.Sprintf("line %d, column %d: %s", line, col, syn.Error())
	case errors.As(err, &typ):
		line, col := position(data, int(typ.Offset)-1)
		return fmt.Sprintf("line %d, column %d: %q must be %s, not a JSON %s", line, col, typ.Field, goTypeName(typ.Type.String()), typ.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (a *api) thingCall(r *http.Request, call func(ctx context.Context, tb *thingBody) (*onenet.ThingReply, error)) (any, *apiError) {
	if aerr := a.authBeforeBody(r); aerr != nil {
		return nil, aerr
	}
	tb, aerr := readThingBody(r)
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := a.target(r, tb.ProductID, tb.DeviceName, true); aerr != nil {
		return nil, aerr
	}
	timeout := 10 * time.Second
	if tb.Timeout != 0 {
		if timeout, aerr = timeoutParam(strconv.Itoa(tb.Timeout)); aerr != nil {
			return nil, aerr
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	reply, err := call(ctx, tb)
	if err != nil {
		return nil, waitError(err)
	}
	return replyJSON(reply), nil
}

func replyJSON(r *onenet.ThingReply) map[string]any {
	m := map[string]any{"id": r.ID, "code": r.Code, "msg": r.Msg}
	if r.Data != nil {
		m["data"] = r.Data
	}
	return m
}

func (a *api) setProperty(r *http.Request) (any, *apiError) {
	return a.thingCall(r, func(ctx context.Context, tb *thingBody) (*onenet.ThingReply, error) {
		return a.b.SetProperty(ctx, tb.ProductID, tb.DeviceName, tb.Params)
	})
}

func (a *api) callService(r *http.Request) (any, *apiError) {
	return a.thingCall(r, func(ctx context.Context, tb *thingBody) (*onenet.ThingReply, error) {
		if tb.Identifier == "" {
			return nil, errors.New(`"identifier" is missing: give the service's identifier`)
		}
		return a.b.InvokeService(ctx, tb.ProductID, tb.DeviceName, tb.Identifier, tb.Params)
	})
}

// getProperty sends thing/property/get and returns the device's reply: the
// body's "params" is the list of identifiers (docs/PROTOCOL.md §9; this local API, not one of OneNET's).
func (a *api) getProperty(r *http.Request) (any, *apiError) {
	return a.thingCall(r, func(ctx context.Context, tb *thingBody) (*onenet.ThingReply, error) {
		var ids []string
		if err := json.Unmarshal(tb.Params, &ids); err != nil {
			return nil, errors.New(`"params" must be a list of identifiers such as ["temperature"]`)
		}
		return a.b.GetProperty(ctx, tb.ProductID, tb.DeviceName, ids)
	})
}

// setDesired sets desired values, which the device reads with
// thing/property/desired/get: {"product_id","device_name","params":{"Id":value}}.
func (a *api) setDesired(r *http.Request) (any, *apiError) {
	if aerr := a.authBeforeBody(r); aerr != nil {
		return nil, aerr
	}
	tb, aerr := readThingBody(r)
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := a.target(r, tb.ProductID, tb.DeviceName, true); aerr != nil {
		return nil, aerr
	}
	versions, err := a.b.SetDesired(tb.ProductID, tb.DeviceName, tb.Params)
	if err != nil {
		return nil, waitError(err)
	}
	return versions, nil
}

// queryDesired returns the desired values: {"Id":{"value":…,"version":N}}.
func (a *api) queryDesired(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	out, err := a.b.Desired(d.pid, d.name)
	if err != nil {
		return nil, waitError(err)
	}
	return out, nil
}

// queryPropertyHistory returns a property's stored points, newest last:
// what property/post, pack/post and history/post posted (docs/PROTOCOL.md
// §9.4): [{"time":ms,"value":…}], at most limit (default 100, at most 1000)
// of the newest.
func (a *api) queryPropertyHistory(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	id := q.Get("identifier")
	if id == "" {
		return nil, errf(http.StatusBadRequest, apiBadRequest, "identifier is missing: give the property's identifier")
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, errf(http.StatusBadRequest, apiBadRequest, "limit=%s: want a whole number from 1 to 1000", logsafe.Q(s))
		}
		limit = n
	}
	pts := a.b.PropertyHistory(d.pid, d.name, id)
	if len(pts) > limit {
		pts = pts[len(pts)-limit:]
	}
	type point struct {
		Time  int64           `json:"time"`
		Value json.RawMessage `json:"value"`
	}
	out := make([]point, 0, len(pts))
	for _, p := range pts {
		out = append(out, point{p.At.UnixMilli(), p.Value})
	}
	return out, nil
}
