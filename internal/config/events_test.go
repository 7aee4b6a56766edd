package config

import (
	"strings"
	"testing"
	"time"
)

const withEvents = base + `events:
  - name: ops
    url: https://hooks.example.test/ftps
    secret: a-secret-of-enough-length
    timeout: 5s
    kinds: [upload, login_failed]
`

// TestEventsSection: the events section decodes with its durations, and
// each mistake names its key and line.
func TestEventsSection(t *testing.T) {
	c, err := Parse("cfg.yaml", []byte(withEvents))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 1 || c.Events[0].Name != "ops" || c.Events[0].Timeout != 5*time.Second ||
		len(c.Events[0].Kinds) != 2 {
		t.Fatalf("events = %+v", c.Events)
	}
	tests := []struct{ name, from, to, want string }{
		{"unknown key", "timeout: 5s", "timout: 5s", `cfg.yaml:15:5: unknown key "timout" in events.0`},
		{"bad url", "https://hooks.example.test/ftps", "ftp://x", "cfg.yaml:13:5: events.0.url"},
		{"short secret", "a-secret-of-enough-length", "short", "cfg.yaml:14:5: events.0.secret"},
		{"unknown kind", "login_failed]", "logout]", "events.0.kinds.1: unknown event kind"},
		{"no kinds", "    kinds: [upload, login_failed]\n", "", "events.0.kinds"},
		{"bad name", "name: ops", "name: Ops!", "events.0.name"},
		{"key without cert", "timeout: 5s", "client_key: k.pem", "events.0.client_cert"},
		{"bad retries", "timeout: 5s", "retries: -2", "events.0.retries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cfg.yaml", []byte(strings.Replace(withEvents, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	dup := withEvents + strings.SplitN(withEvents, "events:\n", 2)[1]
	if _, err := Parse("cfg.yaml", []byte(dup)); err == nil || !strings.Contains(err.Error(), "events.1.name: duplicate") {
		t.Errorf("duplicate name: %v", err)
	}
}
