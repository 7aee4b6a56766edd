package events

import (
	"context"
	"net/http"
	"testing"
)

// BenchmarkEvent is what a session pays to report one upload: building,
// encoding and queueing the event. Run with a receiver that answers, and
// with one that hangs (the queue fills and events are dropped): the cost
// on the session must not grow when the receiver is in trouble.
func BenchmarkEvent(b *testing.B) {
	for _, tc := range []struct {
		name   string
		answer func(int) int
	}{
		{"receiver_up", nil},
		{"receiver_failing", func(int) int { return http.StatusServiceUnavailable }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := newReceiver(b, tc.answer)
			cfg := testTarget(r.URL)
			cfg.SpoolMaxEvents = -1
			d, err := New([]TargetConfig{cfg}, Options{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // at the end, cut what is in flight: the receiver may hang
			defer d.Close(ctx)
			ev := uploadEvent("/inbound/orders-20261202.csv")
			b.ReportAllocs()
			for b.Loop() {
				d.Event(ev)
			}
		})
	}
}
