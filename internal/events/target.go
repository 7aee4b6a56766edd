package events

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

// target delivers one webhook's events on a goroutine of its own. While
// the receiver answers, events go from the memory queue to the wire with
// a few retries; after those fail the target is down, and every event
// (the failed one first, then the queue) goes to the spool, from which
// the oldest is retried with a growing backoff until one gets through.
// Events are sent one at a time, so a receiver sees them in order.
type target struct {
	cfg    TargetConfig
	client *http.Client
	queue  chan item
	spool  *spool
	m      *metrics
	log    *slog.Logger

	minBackoff time.Duration
	failures   int  // consecutive failed attempts (for the backoff)
	down       bool // the last event went to the spool; worker only

	stop chan struct{} // closed when Close begins
	done chan struct{} // closed when the worker has stopped
	// ctx is cancelled when Close's deadline passes, which cuts the
	// request in flight.
	ctx    context.Context
	cancel context.CancelFunc
	drops  atomic.Int64
}

func (t *target) enqueue(it item) {
	select {
	case t.queue <- it:
		// Only the memory gauge: the spool's lock may be held across an
		// fsync, and a session must never wait for one.
		t.m.queued.WithLabelValues(t.cfg.Name, "memory").Set(float64(len(t.queue)))
	default:
		t.drop("queue_full", it)
	}
}

func (t *target) run() {
	defer close(t.done)
	for {
		if t.spool.len() > 0 {
			if !t.sendSpooled() {
				break
			}
			continue
		}
		select {
		case it := <-t.queue:
			t.gauges()
			if !t.deliver(it) {
				t.drain()
				return
			}
		case <-t.stop:
			t.drain()
			return
		}
	}
	t.drain()
}

// deliver sends one event from memory, retrying; it reports false when
// Close interrupted it (the event is then spooled).
func (t *target) deliver(it item) bool {
	for n := 0; ; n++ {
		if n > 0 {
			t.m.retried.WithLabelValues(t.cfg.Name).Inc()
		}
		err := t.attempt(it)
		switch {
		case err == nil:
			return true
		case errors.Is(err, errRejected):
			t.drop("rejected", it)
			return true
		case n >= t.cfg.Retries:
			t.log.Warn("event target down; spooling its events", "target", t.cfg.Name, "err", err)
			t.down = true
			t.toSpool(it)
			return true
		}
		if !t.sleep() {
			t.toSpool(it)
			return false
		}
	}
}

// sendSpooled retries the oldest spooled event; false when Close came.
func (t *target) sendSpooled() bool {
	name, body, _, err := t.spool.oldest()
	var it item
	if err == nil {
		it, err = decode(body)
	}
	if err != nil {
		t.log.Error("unreadable spooled event removed", "target", t.cfg.Name, "file", name, "err", err)
		t.m.dropped.WithLabelValues(t.cfg.Name, "corrupt").Inc()
		t.spool.remove(name)
		return true
	}
	t.m.retried.WithLabelValues(t.cfg.Name).Inc()
	err = t.attempt(it)
	if err == nil || errors.Is(err, errRejected) {
		if err != nil {
			t.drop("rejected", it)
		}
		if rerr := t.spool.remove(name); rerr != nil {
			t.log.Error("removing a delivered event from the spool failed; it may be sent again", "target", t.cfg.Name, "err", rerr)
		}
		if t.down && t.spool.len() == 0 {
			t.log.Info("event target up again; spool emptied", "target", t.cfg.Name)
			t.down = false
		}
		t.gauges()
		return true
	}
	t.down = true
	return t.sleep()
}

// attempt makes one request and counts its outcome.
func (t *target) attempt(it item) error {
	err := t.post(t.ctx, it)
	if err != nil {
		t.failures++
		t.m.failed.WithLabelValues(t.cfg.Name).Inc()
		t.log.Debug("event delivery failed", "target", t.cfg.Name, "id", it.id, "err", err)
		return err
	}
	t.failures = 0
	t.m.sent.WithLabelValues(t.cfg.Name).Inc()
	return nil
}

// sleep waits out the backoff; while the target is down, events that
// arrive meanwhile go straight to the spool, behind the older ones. It
// reports false when Close began.
func (t *target) sleep() bool {
	timer := time.NewTimer(t.backoff())
	defer timer.Stop()
	var arrivals chan item // nil (never ready) unless down
	if t.down {
		arrivals = t.queue
	}
	for {
		select {
		case <-timer.C:
			return true
		case <-t.stop:
			return false
		case it := <-arrivals:
			t.toSpool(it)
		}
	}
}

// backoff is the wait before the next attempt: exponential in the
// consecutive failures, capped, with jitter so that many servers do not
// retry a recovering receiver in step.
func (t *target) backoff() time.Duration {
	d := t.cfg.MaxBackoff
	if shift := t.failures - 1; shift < 30 {
		if e := t.minBackoff << max(shift, 0); e < d {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

// drain empties the queue at Close: sent while the receiver answers and
// the deadline holds, spooled otherwise.
func (t *target) drain() {
	for {
		select {
		case it := <-t.queue:
			if !t.down && t.spool.len() == 0 && t.ctx.Err() == nil {
				err := t.attempt(it)
				if err == nil {
					continue
				}
				if errors.Is(err, errRejected) {
					t.drop("rejected", it)
					continue
				}
				t.down = true
			}
			t.toSpool(it)
		default:
			t.gauges()
			return
		}
	}
}

func (t *target) toSpool(it item) {
	switch err := t.spool.put(it.body); {
	case err == nil:
	case errors.Is(err, errSpoolFull):
		t.drop("spool_full", it)
	default:
		t.log.Error("writing to the event spool failed", "target", t.cfg.Name, "dir", t.spool.dir, "err", err)
		t.drop("spool_error", it)
	}
	t.gauges()
}

// drop counts a lost event; the log says so for the first and every
// hundredth, so that a flood of drops does not flood the log too.
func (t *target) drop(reason string, it item) {
	t.m.dropped.WithLabelValues(t.cfg.Name, reason).Inc()
	if n := t.drops.Add(1); n == 1 || n%100 == 0 {
		t.log.Warn("event dropped", "target", t.cfg.Name, "reason", reason, "id", it.id, "kind", it.kind, "dropped_since_start", n)
	}
}

func (t *target) gauges() {
	t.m.queued.WithLabelValues(t.cfg.Name, "memory").Set(float64(len(t.queue)))
	t.m.queued.WithLabelValues(t.cfg.Name, "spool").Set(float64(t.spool.len()))
}
