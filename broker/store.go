package broker

import (
	"fmt"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// The datapoint store (datastreams and thing-model property histories) is
// bounded three ways: MaxStoredPoints per
// datastream, MaxStoredBytes per device and MaxTotalStoredBytes for the
// whole broker (docs/RELIABILITY.md, "Datapoint store"). Past the first
// two, a device's oldest points go; the third never takes one device's
// points for another's: an upload that would pass it even after the
// device's own points are dropped is rejected.

// pointOverhead is what a stored point costs besides its value: its time,
// slice headers and sequence number, rounded up.
const pointOverhead = 64

func pointCost(v []byte) int64 { return int64(len(v)) + pointOverhead }

// stored is a point with its arrival number.
type stored struct {
	p   StoredPoint
	seq uint64
}

// ring keeps a datastream's points, oldest first, from buf[head].
type ring struct {
	buf  []stored
	head int
}

func (r *ring) len() int { return len(r.buf) - r.head }

// add appends p and, beyond max points, drops the oldest; it returns the
// bytes dropped.
func (r *ring) add(p StoredPoint, seq uint64, max int) (freed int64) {
	r.buf = append(r.buf, stored{p, seq})
	for r.len() > max {
		freed += r.pop()
	}
	return freed
}

// pop drops the oldest point and returns its cost. The slot is cleared so
// that the value can be collected; the slice is compacted when half empty.
func (r *ring) pop() int64 {
	c := pointCost(r.buf[r.head].p.Value)
	r.buf[r.head] = stored{}
	r.head++
	if r.head > len(r.buf)/2 {
		n := copy(r.buf, r.buf[r.head:])
		clear(r.buf[n:])
		r.buf, r.head = r.buf[:n], 0
	}
	return c
}

// oldestSeq is the arrival number of the oldest point; ok is false when
// the ring is empty.
func (r *ring) oldestSeq() (seq uint64, ok bool) {
	if r.len() == 0 {
		return 0, false
	}
	return r.buf[r.head].seq, true
}

// slice returns a copy of the points, oldest first.
func (r *ring) slice() []StoredPoint {
	out := make([]StoredPoint, 0, r.len())
	for _, s := range r.buf[r.head:] {
		out = append(out, s.p)
	}
	return out
}

func (r *ring) last() (StoredPoint, bool) {
	if r.len() == 0 {
		return StoredPoint{}, false
	}
	return r.buf[len(r.buf)-1].p, true
}

// dropOldest drops the device's oldest point, whatever its datastream, and
// returns its cost (0 if the device stores nothing). The caller holds d.mu.
func (b *Broker) dropOldest(d *device) int64 {
	var oldest *ring
	var min uint64
	for _, rings := range []map[string]*ring{d.streams, d.history} {
		for _, r := range rings {
			if s, ok := r.oldestSeq(); ok && (oldest == nil || s < min) {
				oldest, min = r, s
			}
		}
	}
	if oldest == nil {
		return 0
	}
	c := oldest.pop()
	d.stored -= c
	b.storedTotal.Add(-c)
	return c
}

// storeDP stores an accepted upload's points (a datastream's points
// adjacent, as onenet.ScanDPPost gives them), each at its own time or now,
// or returns why it cannot (the broker's total bound). The caller holds
// d.mu and has checked MaxStreams.
func (b *Broker) storeDP(d *device, points []onenet.ScannedPoint, now time.Time) string {
	var cost int64
	for _, p := range points {
		cost += pointCost(p.V)
	}
	if cost > b.opts.MaxStoredBytes {
		return fmt.Sprintf("the upload needs %d bytes of storage; this local broker keeps at most %d per device", cost, b.opts.MaxStoredBytes)
	}
	if total := b.storedTotal.Load(); total+cost-d.stored > b.opts.MaxTotalStoredBytes {
		return fmt.Sprintf("this local broker's datapoint store is full (%d of %d bytes, %d of them this device's)", total, b.opts.MaxTotalStoredBytes, d.stored)
	}
	var (
		r     *ring
		delta int64 // bytes added less bytes freed, counted once (account does it per point)
	)
	for i, p := range points {
		if i == 0 || string(p.Stream) != string(points[i-1].Stream) {
			if r = d.streams[string(p.Stream)]; r == nil {
				r = &ring{}
				d.streams[string(p.Stream)] = r
			}
		}
		at := now
		if p.T > 0 {
			at = time.Unix(p.T, 0)
		}
		v := storedValue(p.V)
		d.seq++
		delta += pointCost(v) - r.add(StoredPoint{At: at, Value: v}, d.seq, b.opts.MaxStoredPoints)
	}
	d.stored += delta
	b.storedTotal.Add(delta)
	b.trim(d)
	return ""
}

// account adds sp to r and counts its bytes. The caller holds d.mu and
// calls trim after.
func (b *Broker) account(d *device, r *ring, sp StoredPoint) {
	d.seq++
	c := pointCost(sp.Value)
	freed := r.add(sp, d.seq, b.opts.MaxStoredPoints)
	d.stored += c - freed
	b.storedTotal.Add(c - freed)
}

// trim drops the device's oldest points while it or the broker is past its
// bound. The caller holds d.mu.
func (b *Broker) trim(d *device) {
	for d.stored > b.opts.MaxStoredBytes || b.storedTotal.Load() > b.opts.MaxTotalStoredBytes {
		if b.dropOldest(d) == 0 {
			break
		}
	}
}

// addPoint stores one point (a thing-model property's history) under the
// same bounds as datapoints. The caller holds d.mu.
func (b *Broker) addPoint(d *device, r *ring, sp StoredPoint) {
	b.account(d, r, sp)
	b.trim(d)
}

// maxPendingWrites bounds the packets waiting to be written to one client
// that reads slowly or not at all; past it, mochi drops what it would send
// (QoS 0, as everything the broker sends). With commands of at most 20 KB
// that is 20 MB per stalled client (mochi's default, 8,192, allowed 160 MB).
const maxPendingWrites = 1024
