package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// pendKey names an answer the platform waits for: the device, the topic
// suffix the answer arrives on, and the thing-model request id ("" for
// commands, whose id is in the topic).
type pendKey struct {
	dev, suffix, id string
}

// result is a device's answer: a command's response bytes or a thing-model
// reply, or why there is none.
type result struct {
	payload []byte
	reply   *onenet.ThingReply
	err     error
}

// maxExpired bounds the remembered ids of timed-out commands, kept to tell
// a late response (112) from an unknown one (113).
const maxExpired = 1024

type pendingTable struct {
	mu      sync.Mutex
	m       map[pendKey]chan result
	gone    map[pendKey]struct{}
	goneFIF []pendKey
}

func (t *pendingTable) init() {
	t.m = map[pendKey]chan result{}
	t.gone = map[pendKey]struct{}{}
}

func (t *pendingTable) add(k pendKey) chan result {
	ch := make(chan result, 1)
	t.mu.Lock()
	t.m[k] = ch
	t.mu.Unlock()
	return ch
}

// remove forgets k; expired marks it as timed out.
func (t *pendingTable) remove(k pendKey, expired bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[k]; !ok {
		return
	}
	delete(t.m, k)
	if expired {
		if len(t.goneFIF) >= maxExpired {
			delete(t.gone, t.goneFIF[0])
			t.goneFIF = t.goneFIF[1:]
		}
		t.gone[k] = struct{}{}
		t.goneFIF = append(t.goneFIF, k)
	}
}

// deliver hands r to the call waiting for k, if any.
func (t *pendingTable) deliver(k pendKey, r result) bool {
	t.mu.Lock()
	ch, ok := t.m[k]
	delete(t.m, k)
	t.mu.Unlock()
	if ok {
		ch <- r
	}
	return ok
}

func (t *pendingTable) expired(k pendKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.gone[k]
	return ok
}

// ready checks that a device is online and subscribed to the internal
// topic a request will go to.
func (b *Broker) ready(d *device, suffix string) error {
	select {
	case <-b.done:
		return ErrClosed
	default:
	}
	d.mu.Lock()
	online := d.online()
	d.mu.Unlock()
	if !online {
		return fmt.Errorf("broker: device %s: %w", d.key, ErrOffline)
	}
	topic, client, _ := b.route(d, suffix)
	subs := b.srv.Topics.Subscribers(topic)
	if _, ok := subs.Subscriptions[client]; !ok {
		return fmt.Errorf("broker: device %s: %w %s%s", d.key, ErrNotSubscribed, d.prefix, suffix)
	}
	return nil
}

// SendCommand sends payload to an online device on cmd/request/{uuid} (QoS
// 0) and returns the device's cmd/response/{uuid}, as OneNET's synccmds
// does (docs/PROTOCOL.md §8, §6). The device must be subscribed to its cmd/request
// topic (ErrNotSubscribed, ErrOffline); ctx bounds the wait (ErrTimeout).
func (b *Broker) SendCommand(ctx context.Context, pid, dev string, payload []byte) ([]byte, error) {
	_, resp, err := b.sendCommand(ctx, pid, dev, payload)
	return resp, err
}

func (b *Broker) sendCommand(ctx context.Context, pid, dev string, payload []byte) (cmdID string, resp []byte, err error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return "", nil, err
	}
	if len(payload) > onenet.MaxCmdRequest {
		return "", nil, fmt.Errorf("broker: command of %d bytes: %w (the limit is %d, docs/PROTOCOL.md §8)", len(payload), ErrTooLarge, onenet.MaxCmdRequest)
	}
	id, err := b.uuid()
	if err != nil {
		return "", nil, err
	}
	req := "cmd/request/" + id
	if err := b.ready(d, req); err != nil {
		return "", nil, err
	}
	key := pendKey{d.key, "cmd/response/" + id, ""}
	ch := b.pend.add(key)
	b.logf("command sent: device %s, command %s (%d bytes)", d.key, id, len(payload))
	if err := b.publish(d, req, payload); err != nil {
		b.pend.remove(key, false)
		return "", nil, fmt.Errorf("broker: command to %s: %w", d.key, err)
	}
	r, err := b.wait(ctx, ch)
	if err != nil {
		b.pend.remove(key, err != ErrClosed)
		if err == ErrClosed {
			return id, nil, fmt.Errorf("broker: command %s to %s: %w", id, d.key, err)
		}
		b.logf("command timed out: device %s, command %s", d.key, id)
		return id, nil, fmt.Errorf("broker: command %s to %s: %w (%w)", id, d.key, ErrTimeout, err)
	}
	return id, r.payload, r.err
}

// ErrThingModel is a platform call that the device's thing model refuses
// (an identifier it does not have, or a value that breaks its rule).
var ErrThingModel = errors.New("refused by the thing model")

// SetProperty sends thing/property/set with {"id":"N","version":"1.0",
// "params":params} to a device and returns its property/set_reply (docs/PROTOCOL.md
// §9). params must be a JSON object.
func (b *Broker) SetProperty(ctx context.Context, pid, dev string, params json.RawMessage) (*onenet.ThingReply, error) {
	if d, err := b.device(pid, dev); err == nil && b.studio(d) && !b.opts.Limits.Disabled {
		d.mu.Lock()
		why := d.studio.propertySet(b.now()) // at most one a second (docs/PROTOCOL.md §5.7)
		d.mu.Unlock()
		if why != "" {
			b.logf("property set refused: device %s: %s", d.key, why)
			return nil, fmt.Errorf("broker: device %q of product %q: %w: %s", dev, pid, ErrRateLimited, why)
		}
	}
	return b.thingCall(ctx, pid, dev, onenet.KindPropertySet, "", string(onenet.KindPropertySet), string(onenet.KindPropertySetReply), params)
}

// GetProperty sends thing/property/get with the identifiers ids to a
// device and returns its property/get_reply, whose "data" holds the values
// (docs/PROTOCOL.md §9).
func (b *Broker) GetProperty(ctx context.Context, pid, dev string, ids []string) (*onenet.ThingReply, error) {
	if ids == nil {
		ids = []string{}
	}
	params, _ := json.Marshal(ids)
	return b.thingCall(ctx, pid, dev, onenet.KindPropertyGet, "", string(onenet.KindPropertyGet), string(onenet.KindPropertyGetReply), params)
}

// InvokeService sends thing/service/{identifier}/invoke to a device and
// returns its invoke_reply (docs/PROTOCOL.md §9). params must be a JSON object.
func (b *Broker) InvokeService(ctx context.Context, pid, dev, identifier string, params json.RawMessage) (*onenet.ThingReply, error) {
	req, err := onenet.Topic(onenet.KindServiceInvoke, onenet.TopicArgs{ProductID: pid, DeviceName: dev, Identifier: identifier})
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	prefix := "$sys/" + pid + "/" + dev + "/"
	return b.thingCall(ctx, pid, dev, onenet.KindServiceInvoke, identifier, req[len(prefix):], req[len(prefix):]+"_reply", params)
}

// thingCall sends a thing-model request of the given kind and waits for
// the reply. With a thing model, the request is checked against it first
// (an *onenet.Error naming the identifier).
func (b *Broker) thingCall(ctx context.Context, pid, dev string, kind onenet.Kind, identifier, reqSuffix, replySuffix string, params json.RawMessage) (*onenet.ThingReply, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	id, msg, err := b.newRequest(kind, params)
	if err != nil {
		return nil, err
	}
	if d.model != nil {
		if err := d.model.CheckRequest(kind, identifier, msg); err != nil {
			return nil, fmt.Errorf("broker: %w: %w", ErrThingModel, err)
		}
	}
	if gw := b.studioGateway(d); gw != nil { // a sub-device: through its gateway (subdev.go)
		return b.subCall(ctx, d, gw, reqSuffix, params)
	}
	return b.send(ctx, d, reqSuffix, replySuffix, id, msg, nil)
}
