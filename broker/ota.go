package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// OTA (docs/PROTOCOL.md §11): the platform announces a firmware upgrade
// on ota/inform and the device answers on ota/inform_reply. OneNET's device
// SDK passes the announcement's params to the device unread; this broker
// sends what the platform caller gives.

// An OTARecord is the last firmware announcement sent to a device and the
// device's answer, if any.
type OTARecord struct {
	ID        string             // the request's "id"
	Params    json.RawMessage    // what was announced
	SentAt    time.Time          // when
	Reply     *onenet.ThingReply // the device's ota/inform_reply; nil until it answers
	RepliedAt time.Time
}

// InformOTA sends ota/inform with {"id":"N","version":"1.0","params":params}
// to a device and returns its ota/inform_reply: code 200 when the device
// takes the upgrade, 100 when it declines (docs/PROTOCOL.md §11). params
// must be a JSON object, e.g. {"targetVersion":"1.2.0"}. The device must be
// online and subscribed to ota/inform (ErrOffline, ErrNotSubscribed); ctx
// bounds the wait (ErrTimeout). A reply that comes after the wait is still
// recorded (OTA).
func (b *Broker) InformOTA(ctx context.Context, pid, dev string, params json.RawMessage) (*onenet.ThingReply, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	rec := &OTARecord{Params: compact(params), SentAt: b.now()}
	r, err := b.request(ctx, d, onenet.KindOTAInform, string(onenet.KindOTAInform), string(onenet.KindOTAInformReply), params, func(id string) {
		rec.ID = id
		d.mu.Lock()
		d.ota = rec
		d.mu.Unlock()
	})
	return r, err
}

// OTA returns the last firmware announcement sent to a device and its
// answer; nil when none was sent.
func (b *Broker) OTA(pid, dev string) (*OTARecord, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ota == nil {
		return nil, nil
	}
	c := *d.ota
	return &c, nil
}

// handleOTAReply records a device's ota/inform_reply and passes it to the
// call waiting for it.
func (b *Broker) handleOTAReply(d *device, payload []byte) {
	r, err := onenet.ParseThingReply(payload)
	if err != nil {
		b.logf("ota reply ignored: device %s: %s", d.key, errCode(err))
		return
	}
	d.mu.Lock()
	known := d.ota != nil && d.ota.ID == r.ID
	if known {
		d.ota.Reply, d.ota.RepliedAt = r, b.now()
	}
	d.mu.Unlock()
	b.logf("ota reply: device %s, id %s, code %d", d.key, logID(r.ID), r.Code)
	if !b.pend.deliver(pendKey{d.key, string(onenet.KindOTAInformReply), r.ID}, result{reply: r}) && !known {
		b.logf("ota reply ignored: device %s, id %s: no announcement has this id", d.key, logID(r.ID))
	}
}

// request sends a OneJSON request of kind to a device's reqSuffix and waits
// for the reply with the same id on replySuffix. sent, if not nil, gets the
// request's id just before it is published.
func (b *Broker) request(ctx context.Context, d *device, kind onenet.Kind, reqSuffix, replySuffix string, params json.RawMessage, sent func(id string)) (*onenet.ThingReply, error) {
	id, msg, err := b.newRequest(kind, params)
	if err != nil {
		return nil, err
	}
	return b.send(ctx, d, reqSuffix, replySuffix, id, msg, sent)
}

// newRequest gives a OneJSON request of kind with a new id, checked as a
// device would read it.
func (b *Broker) newRequest(kind onenet.Kind, params json.RawMessage) (id string, msg []byte, err error) {
	id = strconv.FormatUint(b.thingID.Add(1)%1e13, 10)
	msg, err = json.Marshal(struct {
		ID      string          `json:"id"`
		Version string          `json:"version"`
		Params  json.RawMessage `json:"params"`
	}{id, "1.0", params})
	if err != nil {
		return "", nil, fmt.Errorf("broker: params: %w", err)
	}
	if _, err := onenet.ParseThingRequest(kind, msg); err != nil {
		return "", nil, fmt.Errorf("broker: %w", err)
	}
	return id, msg, nil
}

// send publishes the request msg with id to a device's reqSuffix and waits
// for the reply with the same id on replySuffix.
func (b *Broker) send(ctx context.Context, d *device, reqSuffix, replySuffix, id string, msg []byte, sent func(id string)) (*onenet.ThingReply, error) {
	if err := b.ready(d, reqSuffix); err != nil {
		return nil, err
	}
	key := pendKey{d.key, replySuffix, id}
	ch := b.pend.add(key)
	b.logf("request sent: device %s, %s id %s", d.key, reqSuffix, id)
	if sent != nil {
		sent(id)
	}
	if err := b.publish(d, reqSuffix, msg); err != nil {
		b.pend.remove(key, false)
		return nil, fmt.Errorf("broker: %s to %s: %w", reqSuffix, d.key, err)
	}
	r, err := b.wait(ctx, ch)
	if err != nil {
		b.pend.remove(key, false)
		if errors.Is(err, ErrClosed) {
			return nil, fmt.Errorf("broker: %s to %s: %w", reqSuffix, d.key, err)
		}
		b.logf("request timed out: device %s, %s id %s", d.key, reqSuffix, id)
		return nil, fmt.Errorf("broker: %s id %s to %s: %w (%w)", reqSuffix, id, d.key, ErrTimeout, err)
	}
	return r.reply, r.err
}

// The OTA routes of the platform API (APIHandler).
func init() {
	routes["/ota/inform"] = route{"POST", (*api).informOTA}
	routes["/ota/status"] = route{"GET", (*api).otaStatus}
}

// informOTA: POST /ota/inform {"product_id","device_name","params":{…}
// [,"timeout":S]} sends ota/inform and answers with the device's reply.
func (a *api) informOTA(r *http.Request) (any, *apiError) {
	return a.thingCall(r, func(ctx context.Context, tb *thingBody) (*onenet.ThingReply, error) {
		return a.b.InformOTA(ctx, tb.ProductID, tb.DeviceName, tb.Params)
	})
}

// otaStatus: GET /ota/status?product_id=P&device_name=D answers with the
// last announcement and the device's reply: {"id","params","sent_at",
// "reply":{…} or null,"replied_at"}; data is null when none was sent.
func (a *api) otaStatus(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	d, aerr := a.target(r, q.Get("product_id"), q.Get("device_name"), true)
	if aerr != nil {
		return nil, aerr
	}
	rec, err := a.b.OTA(d.pid, d.name)
	if err != nil || rec == nil {
		return nil, nil
	}
	out := map[string]any{"id": rec.ID, "params": rec.Params, "sent_at": rec.SentAt.In(cst).Format(apiTime), "reply": nil, "replied_at": nil}
	if rec.Reply != nil {
		out["reply"] = replyJSON(rec.Reply)
		out["replied_at"] = rec.RepliedAt.In(cst).Format(apiTime)
	}
	return out, nil
}
