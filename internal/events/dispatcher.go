// Package events tells webhooks what happened on the server: files
// uploaded, downloaded, deleted, renamed, failed logins and bans. It is
// an ftps.EventSink. Delivery never slows a session: each target has a
// bounded queue and a goroutine that sends, retries with backoff, and
// spills to a bounded spool on disk while the receiver is down; what is
// lost past the bounds is counted and logged. It must never block or
// fail the transfer it reports on.
package events

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Options are the dispatcher's settings outside the events section.
type Options struct {
	// DataDir is server.data_dir; spools live in DataDir/events/NAME.
	DataDir string
	Log     *slog.Logger
	// MinBackoff is the first retry's wait (default one second).
	MinBackoff time.Duration
}

// Dispatcher fans events out to the targets that want them.
type Dispatcher struct {
	targets []*target
	m       *metrics

	mu     sync.RWMutex
	closed bool
}

var _ ftps.EventSink = (*Dispatcher)(nil)

// New opens the targets' spools and starts their workers; events spooled
// by an earlier run are sent first.
func New(cfgs []TargetConfig, opt Options) (*Dispatcher, error) {
	if err := Validate(cfgs); err != nil {
		return nil, err
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = time.Second
	}
	d := &Dispatcher{m: newMetrics()}
	for i, c := range cfgs {
		t, err := d.newTarget(c.withDefaults(), opt)
		if err != nil {
			for _, t := range d.targets {
				t.cancel() // not started yet: nothing else to stop
			}
			return nil, fielderr.Within(fmt.Sprintf("events.%d", i), err)
		}
		d.targets = append(d.targets, t)
	}
	for _, t := range d.targets {
		go t.run()
	}
	return d, nil
}

func (d *Dispatcher) newTarget(c TargetConfig, opt Options) (*target, error) {
	client, err := newClient(c)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(opt.DataDir, "events", c.Name)
	sp, err := openSpool(dir, c.SpoolMaxEvents)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &target{
		cfg: c, client: client, queue: make(chan item, c.QueueSize), spool: sp,
		m: d.m, log: opt.Log, minBackoff: opt.MinBackoff,
		stop: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel,
	}
	if n := sp.len(); n > 0 {
		opt.Log.Info("events spooled by an earlier run will be sent", "target", c.Name, "events", n)
	}
	t.gauges()
	return t, nil
}

// Event queues ev for every target that wants its kind. It never blocks.
func (d *Dispatcher) Event(ev ftps.Event) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var it item
	encoded := false
	for _, t := range d.targets {
		if !slices.Contains(t.cfg.Kinds, ev.Kind) {
			continue
		}
		if !encoded {
			it, encoded = encode(fromFTPS(ev)), true
		}
		if d.closed {
			t.drop("closed", it)
			continue
		}
		t.enqueue(it)
	}
}

// Collectors are the per-target metrics, for the metrics registry.
func (d *Dispatcher) Collectors() []prometheus.Collector { return d.m.collectors() }

// Close stops taking events, sends what is queued until ctx is done,
// and spools the rest for the next start. Later calls do nothing.
func (d *Dispatcher) Close(ctx context.Context) {
	d.mu.Lock()
	already := d.closed
	d.closed = true
	d.mu.Unlock()
	if already {
		return
	}
	var wg sync.WaitGroup
	for _, t := range d.targets {
		wg.Go(func() {
			close(t.stop)
			select {
			case <-t.done:
			case <-ctx.Done():
				t.cancel()
				<-t.done
			}
			t.cancel()
		})
	}
	wg.Wait()
}
