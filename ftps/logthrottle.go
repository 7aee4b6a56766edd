package ftps

import (
	"log/slog"
	"sync"
	"time"
)

// logThrottle rate-limits warnings a client can trigger in bulk (refused
// connections, refused data connections), so 1,000 of them in a second
// write a handful of lines, not 1,000: the first of a kind from one
// address is logged, the repeats within window are counted, and the next
// one after the window is logged with the count of those suppressed
// ("suppressed": N). Memory is bounded: keys whose window has passed are
// dropped, and at most maxKeys are tracked (beyond, lines are logged).
type logThrottle struct {
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	seen map[throttleKey]*throttleState
}

type throttleKey struct{ kind, addr string }

type throttleState struct {
	since      time.Time // when the last logged line was written
	suppressed int
}

// defaultThrottleWindow is how long repeats of one warning from one
// address are counted instead of logged.
const defaultThrottleWindow = 10 * time.Second

func newLogThrottle(window time.Duration) *logThrottle {
	return &logThrottle{window: window, maxKeys: 10000, now: time.Now, seen: map[throttleKey]*throttleState{}}
}

// Warn logs msg (its kind) with args at WARN unless the same kind from
// addr was logged within the window, in which case it only counts it.
func (t *logThrottle) Warn(log *slog.Logger, addr, msg string, args ...any) {
	if n, ok := t.admit(msg, addr); ok {
		if n > 0 {
			args = append(args, "suppressed", n)
		}
		log.Warn(msg, args...)
	}
}

// admit reports whether a line of kind from addr is to be written, with
// the number of its repeats suppressed since the last one written.
func (t *logThrottle) admit(kind, addr string) (suppressed int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	k := throttleKey{kind, addr}
	st := t.seen[k]
	if st != nil && now.Sub(st.since) < t.window {
		st.suppressed++
		return 0, false
	}
	if st != nil {
		suppressed = st.suppressed
		st.since, st.suppressed = now, 0
		return suppressed, true
	}
	if len(t.seen) >= t.maxKeys {
		t.prune(now)
		if len(t.seen) >= t.maxKeys {
			return 0, true
		}
	}
	t.seen[k] = &throttleState{since: now}
	return 0, true
}

// prune drops keys whose window has passed; their suppressed counts, if
// any, are lost, which only a flood of new addresses can cause.
func (t *logThrottle) prune(now time.Time) {
	for k, st := range t.seen {
		if now.Sub(st.since) >= t.window {
			delete(t.seen, k)
		}
	}
}
