package events

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

const testSecret = "0123456789abcdef-test-secret"

// received is one request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
	event  Event
}

// receiver is a webhook endpoint run by the test. answer decides the
// status of each request (nil: 200).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	answer func(n int) int
	n      int
	got    chan received // requests answered 2xx
}

func newReceiver(t testing.TB, answer func(n int) int) *receiver {
	r := &receiver{answer: answer, got: make(chan received, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.n++
		code := 200
		if r.answer != nil {
			code = r.answer(r.n)
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		if code/100 == 2 {
			var ev Event
			if err := json.Unmarshal(body, &ev); err != nil {
				t.Errorf("body is not an event: %v: %s", err, body)
			}
			r.got <- received{header: req.Header, body: body, event: ev}
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setAnswer(f func(int) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

// next waits for the next delivered event; the wait is a safety net for
// a broken build, not a timed assertion.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-r.got:
		return got
	case <-time.After(30 * time.Second):
		t.Fatal("no event arrived")
		return received{}
	}
}

func testTarget(url string) TargetConfig {
	return TargetConfig{Name: "hook", URL: url, Secret: testSecret, Kinds: []string{"all"}}
}

func start(t *testing.T, dir string, cfgs ...TargetConfig) *Dispatcher {
	t.Helper()
	d, err := New(cfgs, Options{DataDir: dir, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d
}

func uploadEvent(path string) ftps.Event {
	return ftps.Event{Kind: ftps.EventUpload, Time: time.Now().UTC(), Session: "7", User: "alice",
		RemoteAddr: "127.0.0.9:40000", Command: "STOR", Path: path, Bytes: 1234, Duration: 1500 * time.Millisecond}
}

// verifyByHand checks a signature the way the README tells receivers to,
// without this package's code.
func verifyByHand(t *testing.T, header string, body []byte) {
	t.Helper()
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts = v
		}
		if v, ok := strings.CutPrefix(part, "v1="); ok {
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(ts + "." + string(body)))
	if want := hex.EncodeToString(mac.Sum(nil)); sig != want {
		t.Fatalf("signature %q, want %q (header %q)", sig, want, header)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)) > time.Hour {
		t.Fatalf("timestamp %q is not a recent UNIX time", ts)
	}
}

func counter(t *testing.T, d *Dispatcher, name string, labels ...string) float64 {
	t.Helper()
	m := d.m
	switch name {
	case "sent":
		return testutil.ToFloat64(m.sent.WithLabelValues(labels...))
	case "failed":
		return testutil.ToFloat64(m.failed.WithLabelValues(labels...))
	case "retried":
		return testutil.ToFloat64(m.retried.WithLabelValues(labels...))
	case "dropped":
		return testutil.ToFloat64(m.dropped.WithLabelValues(labels...))
	case "queued":
		return testutil.ToFloat64(m.queued.WithLabelValues(labels...))
	}
	t.Fatalf("no metric %s", name)
	return 0
}
