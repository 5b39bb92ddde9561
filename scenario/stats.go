package scenario

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A Report counts what a run did. Uploads are datapoints, property posts
// and event posts; each is answered by the platform (accepted or
// rejected) or still unanswered. Requests are the platform's commands,
// property sets and gets and service calls; Answered counts the device's
// replies.
type Report struct {
	Name    string
	Seed    uint64
	Elapsed time.Duration
	Devices int // simulated devices
	Online  int // devices connected now

	Sent       uint64 // uploads published
	Accepted   uint64 // uploads the platform accepted
	Rejected   uint64 // uploads the platform rejected
	Unanswered uint64 // uploads without an answer (yet)
	Requests   uint64 // requests from the platform
	Answered   uint64 // replies sent to them
	Paced      uint64 // messages held back to stay within OneNET's rates

	Faults          uint64 // faults rehearsed
	Reconnects      uint64 // connections opened again after a fault or a loss
	InvalidSent     uint64 // invalid uploads sent by a fault
	InvalidRejected uint64 // …and rejected, as they must be

	Errors    uint64 // failed connections and publishes
	LastError string

	Latency Latency // upload → answer
}

// Latency is the distribution of the time from an upload to the
// platform's answer, over the last latencySamples answers.
type Latency struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

const latencySamples = 1 << 16

type stats struct {
	sent, accepted, rejected, requests, answered, paced      atomic.Uint64
	faults, reconnects, invalidSent, invalidRejected, errors atomic.Uint64
	online                                                   atomic.Int64

	mu      sync.Mutex
	lastErr string
	lat     []time.Duration // a ring
	latN    int
}

func (s *stats) fail(msg string) {
	s.errors.Add(1)
	s.mu.Lock()
	s.lastErr = msg
	s.mu.Unlock()
}

func (s *stats) latency(d time.Duration) {
	s.mu.Lock()
	if len(s.lat) < latencySamples {
		s.lat = append(s.lat, d)
	} else {
		s.lat[s.latN%latencySamples] = d
	}
	s.latN++
	s.mu.Unlock()
}

func (s *stats) report() Report {
	r := Report{
		Sent: s.sent.Load(), Accepted: s.accepted.Load(), Rejected: s.rejected.Load(),
		Requests: s.requests.Load(), Answered: s.answered.Load(), Paced: s.paced.Load(),
		Faults: s.faults.Load(), Reconnects: s.reconnects.Load(),
		InvalidSent: s.invalidSent.Load(), InvalidRejected: s.invalidRejected.Load(),
		Errors: s.errors.Load(), Online: int(s.online.Load()),
	}
	if done := r.Accepted + r.Rejected; r.Sent > done {
		r.Unanswered = r.Sent - done
	}
	s.mu.Lock()
	r.LastError = s.lastErr
	lat := slices.Clone(s.lat)
	s.mu.Unlock()
	r.Latency = percentiles(lat)
	return r
}

// percentiles sorts lat in place (nearest rank).
func percentiles(lat []time.Duration) Latency {
	if len(lat) == 0 {
		return Latency{}
	}
	slices.Sort(lat)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.5) - 1
		return lat[min(max(i, 0), len(lat)-1)]
	}
	return Latency{N: len(lat), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: lat[len(lat)-1]}
}
