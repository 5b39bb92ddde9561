package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// Device image (shadow): docs/PROTOCOL.md §10. OneNET's
// image-topics.md gives the messages, the error codes and the delta's
// format; image.md the limits: the image at most 4 KB, keys of 1 to 30
// characters of [A-Za-z0-9_], reported and desired nested at most 4 levels.

// Error codes of image/update/rejected (image-topics.md, 错误码).
const (
	imgErrUnspecified = 128 // unspecified error
	imgErrJSON        = 160 // illegal json
	imgErrTooLarge    = 161 // json out of bound
	imgErrDepth       = 162 // json depth out of bound
	imgErrNoState     = 163 // state key not found
	imgErrNoSection   = 164 // desired or reported key not found
	imgErrParams      = 165 // invalid parameters
)

// imgErrMsg is the err_msg OneNET documents for each code.
var imgErrMsg = map[int]string{
	imgErrUnspecified: "unspecified error",
	imgErrJSON:        "illegal json",
	imgErrTooLarge:    "json out of bound",
	imgErrDepth:       "json depth out of bound",
	imgErrNoState:     "state key not found",
	imgErrNoSection:   "desired or reported key not found",
	imgErrParams:      "invalid parameters",
	166:               "device image existed",
	167:               "device image not exists",
}

// Limits of the image (image.md, 使用限制).
const (
	maxImageBytes = 4096 // the image's state, and an update
	maxImageKey   = 30   // characters of a key
	maxImageDepth = 4    // levels under reported or desired
)

// shadowDoc is a device's image: the reported and desired states as trees
// (objects are map[string]any; leaves json.Number, string, bool, []any),
// the time each leaf was last set (the metadata, Unix seconds, in trees of
// the same shape), and a version every accepted update increments.
type shadowDoc struct {
	reported, desired map[string]any
	metaR, metaD      map[string]any
	version           int64
	updated           time.Time
}

// shadowError is an update that cannot be applied: a documented code, and
// what is wrong for the log.
type shadowError struct {
	code   int
	detail string
}

func (e *shadowError) Error() string {
	return fmt.Sprintf("image error %d (%s): %s", e.code, imgErrMsg[e.code], e.detail)
}

// rejected is the image/update/rejected message: {"err_code":N,"err_msg":"…"}.
func (e *shadowError) rejected() []byte {
	out, _ := json.Marshal(struct {
		Code int    `json:"err_code"`
		Msg  string `json:"err_msg"`
	}{e.code, imgErrMsg[e.code]})
	return out
}

// parseImageUpdate reads {"state":{"reported":{…},"desired":{…}}} and checks
// it against the documented limits.
func parseImageUpdate(payload []byte) (reported, desired map[string]any, err *shadowError) {
	if len(payload) > maxImageBytes {
		return nil, nil, &shadowError{imgErrTooLarge, fmt.Sprintf("an update of %d bytes; the image holds at most %d", len(payload), maxImageBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var root any
	if e := dec.Decode(&root); e != nil {
		return nil, nil, &shadowError{imgErrJSON, "not JSON: " + e.Error()}
	}
	if _, e := dec.Token(); e != io.EOF {
		return nil, nil, &shadowError{imgErrJSON, "not JSON: more after the value"}
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, nil, &shadowError{imgErrJSON, "the payload is not a JSON object"}
	}
	st, ok := obj["state"]
	if !ok {
		return nil, nil, &shadowError{imgErrNoState, `no "state"`}
	}
	state, ok := st.(map[string]any)
	if !ok {
		return nil, nil, &shadowError{imgErrParams, `"state" is not an object`}
	}
	r, hasR := state["reported"]
	d, hasD := state["desired"]
	if !hasR && !hasD {
		return nil, nil, &shadowError{imgErrNoSection, `"state" has neither "desired" nor "reported"`}
	}
	section := func(name string, v any, has bool) (map[string]any, *shadowError) {
		if !has || v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, &shadowError{imgErrParams, fmt.Sprintf("%q is not an object", name)}
		}
		if depth(m) > maxImageDepth+1 {
			return nil, &shadowError{imgErrDepth, fmt.Sprintf("%q is nested more than %d levels", name, maxImageDepth)}
		}
		if msg := checkKeys(m); msg != "" {
			return nil, &shadowError{imgErrParams, fmt.Sprintf("%s: %s", name, msg)}
		}
		return m, nil
	}
	if reported, err = section("reported", r, hasR); err != nil {
		return nil, nil, err
	}
	if desired, err = section("desired", d, hasD); err != nil {
		return nil, nil, err
	}
	return reported, desired, nil
}

// depth counts the nested objects and arrays of v, v included.
func depth(v any) int {
	d := 0
	switch t := v.(type) {
	case map[string]any:
		for _, c := range t {
			d = max(d, depth(c))
		}
		return d + 1
	case []any:
		for _, c := range t {
			d = max(d, depth(c))
		}
		return d + 1
	}
	return 0
}

// checkKeys says which key breaks the rule (1 to 30 characters of
// [A-Za-z0-9_]), or returns "".
func checkKeys(v any) string {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if len(k) == 0 || len(k) > maxImageKey {
				return fmt.Sprintf("the key %.40q is not 1 to %d characters", k, maxImageKey)
			}
			for i := 0; i < len(k); i++ {
				if c := k[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
					return fmt.Sprintf("the key %.40q holds a character outside [A-Za-z0-9_]", k)
				}
			}
			if msg := checkKeys(c); msg != "" {
				return msg
			}
		}
	case []any:
		for _, c := range t {
			if msg := checkKeys(c); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// merge applies src to dst: null deletes, an object merges into an object,
// anything else replaces; meta records now for every leaf set. Objects left
// empty are removed.
func merge(dst, meta, src map[string]any, now int64) {
	for k, v := range src {
		switch t := v.(type) {
		case nil:
			delete(dst, k)
			delete(meta, k)
		case map[string]any:
			sub, ok := dst[k].(map[string]any)
			subMeta, _ := meta[k].(map[string]any)
			if !ok || subMeta == nil {
				sub, subMeta = map[string]any{}, map[string]any{}
			}
			merge(sub, subMeta, t, now)
			if len(sub) == 0 {
				delete(dst, k)
				delete(meta, k)
				continue
			}
			dst[k], meta[k] = sub, subMeta
		default:
			dst[k], meta[k] = v, now
		}
	}
}

// clone copies a tree.
func cloneTree(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = cloneTree(sub)
		}
		out[k] = v
	}
	return out
}

// diff returns the members of desired that reported lacks or holds
// otherwise, nested objects compared member by member, with their
// metadata; nil when they agree.
func diff(desired, reported, meta map[string]any) (delta, deltaMeta map[string]any) {
	for k, dv := range desired {
		rv, has := reported[k]
		var d, dm any
		if dsub, ok := dv.(map[string]any); ok {
			rsub, _ := rv.(map[string]any)
			msub, _ := meta[k].(map[string]any)
			sub, subMeta := diff(dsub, rsub, msub)
			if sub == nil {
				continue
			}
			d, dm = sub, subMeta
		} else {
			if has && reflect.DeepEqual(dv, rv) {
				continue
			}
			d, dm = dv, meta[k]
		}
		if delta == nil {
			delta, deltaMeta = map[string]any{}, map[string]any{}
		}
		delta[k], deltaMeta[k] = d, dm
	}
	return delta, deltaMeta
}

// metadata renders a metadata tree: each leaf {"timestamp":seconds}.
func metadata(meta map[string]any) map[string]any {
	out := make(map[string]any, len(meta))
	for k, v := range meta {
		switch t := v.(type) {
		case map[string]any:
			out[k] = metadata(t)
		default:
			out[k] = map[string]any{"timestamp": t}
		}
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// update applies an image update. It changes nothing when the update is
// refused, including when the image would exceed maxImageBytes. The caller
// holds d.mu.
func (s *shadowDoc) update(payload []byte, now time.Time) error {
	reported, desired, e := parseImageUpdate(payload)
	if e != nil {
		return e
	}
	newR, newMR := cloneTree(orEmpty(s.reported)), cloneTree(orEmpty(s.metaR))
	newD, newMD := cloneTree(orEmpty(s.desired)), cloneTree(orEmpty(s.metaD))
	secs := now.Unix()
	merge(newR, newMR, reported, secs)
	merge(newD, newMD, desired, secs)
	state, err := json.Marshal(map[string]any{"reported": newR, "desired": newD})
	if err != nil {
		return &shadowError{imgErrUnspecified, err.Error()}
	}
	if len(state) > maxImageBytes {
		return &shadowError{imgErrTooLarge, fmt.Sprintf("the image would be %d bytes; it holds at most %d", len(state), maxImageBytes)}
	}
	s.reported, s.metaR, s.desired, s.metaD = newR, newMR, newD, newMD
	s.version++
	s.updated = now
	return nil
}

// document returns the image as image/get/accepted and
// image/update/accepted send it: {"state":{"reported","desired"},
// "metadata":{"reported","desired"},"version":N,"timestamp":seconds}. The
// caller holds d.mu.
func (s *shadowDoc) document() []byte {
	ts := int64(0)
	if s.version > 0 {
		ts = s.updated.Unix()
	}
	out, _ := json.Marshal(map[string]any{
		"state":     map[string]any{"reported": orEmpty(s.reported), "desired": orEmpty(s.desired)},
		"metadata":  map[string]any{"reported": metadata(s.metaR), "desired": metadata(s.metaD)},
		"version":   s.version,
		"timestamp": ts,
	})
	return out
}

// deltaMessage returns the image/update/delta message, or nil when desired
// and reported agree: {"state":{…},"metadata":{…},"version":N,
// "timestamp":seconds} (image-topics.md, 设备获取属性差异). The caller
// holds d.mu.
func (s *shadowDoc) deltaMessage() []byte {
	delta, meta := diff(s.desired, s.reported, s.metaD)
	if delta == nil {
		return nil
	}
	out, _ := json.Marshal(map[string]any{"state": delta, "metadata": metadata(meta), "version": s.version, "timestamp": s.updated.Unix()})
	return out
}

// applyShadow applies an update and returns the new document and the delta
// to send (nil when none).
func (b *Broker) applyShadow(d *device, payload []byte) (doc, delta []byte, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.shadow.update(payload, b.now()); err != nil {
		return nil, nil, err
	}
	return d.shadow.document(), d.shadow.deltaMessage(), nil
}

func (b *Broker) handleShadowUpdate(d *device, payload []byte, out *replies) {
	doc, delta, err := b.applyShadow(d, payload)
	if err != nil {
		es := err.(*shadowError)
		b.logf("image update rejected: device %s: err_code %d: %s", d.key, es.code, es.detail)
		out.add(string(onenet.KindImageUpdateRejected), es.rejected())
		return
	}
	out.add(string(onenet.KindImageUpdateAccepted), doc)
	if delta != nil {
		out.add(string(onenet.KindImageUpdateDelta), delta)
	}
}

func (b *Broker) handleShadowGet(d *device, out *replies) {
	d.mu.Lock()
	doc := d.shadow.document()
	d.mu.Unlock()
	out.add(string(onenet.KindImageGetAccepted), doc)
}

// ErrImage is an image update the platform refuses; the error's text
// gives OneNET's code (docs/PROTOCOL.md §10).
var ErrImage = errors.New("image update refused")

// Shadow returns a device's image as image/get/accepted sends it.
func (b *Broker) Shadow(pid, dev string) ([]byte, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.shadow.document(), nil
}

// UpdateShadow applies an update {"state":{"desired":{…}}} from the
// platform side, as image/update does, and sends the device
// image/update/delta when desired and reported then differ. It returns the
// new document; a refused update wraps ErrImage.
func (b *Broker) UpdateShadow(pid, dev string, update []byte) ([]byte, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	doc, delta, err := b.applyShadow(d, update)
	if err != nil {
		return nil, fmt.Errorf("broker: image of %s: %w: %w", d.key, ErrImage, err)
	}
	if delta != nil {
		_ = b.publish(d, string(onenet.KindImageUpdateDelta), delta)
	}
	return doc, nil
}
