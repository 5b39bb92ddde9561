package mqttws

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/mqttws/internal/mqtt3"
)

// run is the supervisor: it waits for the connection to be lost and, with
// AutoReconnect, reconnects with backoff; it shuts the connection down when
// Close is called.
func (c *Client) run(s *session) {
	defer close(c.runDone)
	backoff := c.cfg.MinBackoff
	for {
		select {
		case <-s.lost:
		case <-c.ctx.Done():
			c.clearCurrent(s)
			s.shutdown()
			c.finish(nil, "closed")
			return
		}
		lossErr := s.lossErr() // s is no longer current: markLost saw to that
		s.kill()
		if !c.cfg.AutoReconnect {
			c.finish(lossErr, strings.TrimPrefix(lossErr.Error(), "mqttws: "))
			return
		}
		if time.Since(s.up) >= c.cfg.MaxBackoff {
			backoff = c.cfg.MinBackoff // the connection was stable: start again
		}
		c.setState(StateEvent{
			State: StateReconnecting, Err: lossErr, Backoff: backoff,
			Reason: strings.TrimPrefix(lossErr.Error(), "mqttws: ") + "; reconnecting in " + backoff.String(),
		})
		var (
			ns      *session
			refused []string
		)
		for attempt := 1; ; attempt++ {
			if !sleep(c.ctx, backoff) {
				c.finish(nil, "closed")
				return
			}
			backoff = min(2*backoff, c.cfg.MaxBackoff)
			var err error
			ns, refused, err = c.reconnect()
			if err == nil {
				break
			}
			if c.ctx.Err() != nil {
				c.finish(nil, "closed")
				return
			}
			c.setState(StateEvent{
				State: StateReconnecting, Err: err, Attempt: attempt, Backoff: backoff,
				Reason: "reconnection attempt " + strconv.Itoa(attempt) + " failed: " +
					strings.TrimPrefix(err.Error(), "mqttws: ") + "; retrying in " + backoff.String(),
			})
		}
		s = ns
		reason := "reconnected to " + c.cfg.url
		if n := len(s.granted); n > 0 {
			reason += "; subscribed again to " + strconv.Itoa(n) + " filter(s)"
		}
		var refusal error
		if len(refused) > 0 {
			reason += "; the broker refused " + strings.Join(quoteAll(refused), ", ") + " this time (SUBACK 0x80), dropped"
			refusal = &SubscribeError{Filter: refused[0], Code: 0x80}
		}
		c.setCurrent(s, StateEvent{State: StateConnected, Err: refusal, Reason: reason, Resubscribed: len(s.granted) - len(refused)})
	}
}

// reconnect makes one reconnection attempt and restores the subscriptions.
func (c *Client) reconnect() (*session, []string, error) {
	s, err := c.connect(c.ctx)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.ConnectTimeout)
	defer cancel()
	refused, err := c.resubscribe(ctx, s)
	if err != nil {
		s.shutdown()
		return nil, nil, err
	}
	return s, refused, nil
}

// resubscribe subscribes s to every recorded filter, at most 8 per
// SUBSCRIBE, and forgets those the broker now refuses.
func (c *Client) resubscribe(ctx context.Context, s *session) (refused []string, err error) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	s.granted = make(map[string]byte, len(c.subs))
	if len(c.subs) == 0 {
		return nil, nil
	}
	var tokens []*mqtt3.Token
	batch := make(map[string]byte)
	flush := func() {
		tokens = append(tokens, s.pc.SubscribeMultiple(batch))
		batch = make(map[string]byte)
	}
	for f, q := range c.subs {
		batch[f] = q
		if len(batch) == maxFiltersPerSubscribe {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	for _, t := range tokens {
		select {
		case <-t.Done():
		case <-s.lost:
			return nil, s.lossErr()
		case <-ctx.Done():
			return nil, &DialError{URL: c.cfg.url, Kind: KindTimeout, Err: fmt.Errorf("no SUBACK when subscribing again: %w", ctx.Err())}
		}
		if err := t.Error(); err != nil {
			return nil, &DialError{URL: c.cfg.url, Kind: KindNetwork, Err: fmt.Errorf("subscribing again: %w", err)}
		}
		for f, code := range t.Result() {
			s.granted[f] = code
			if code >= 0x80 {
				delete(c.subs, f)
				refused = append(refused, f)
			}
		}
	}
	return refused, nil
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func quoteAll(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return q
}
