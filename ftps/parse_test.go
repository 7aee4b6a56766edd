package ftps

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestParseCommand(t *testing.T) {
	tests := []struct{ line, verb, arg string }{
		{"USER alice", "USER", "alice"},
		{"user alice", "USER", "alice"},
		{"STOR  two spaces ", "STOR", " two spaces "},
		{"NOOP", "NOOP", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		verb, arg := parseCommand(tc.line)
		if verb != tc.verb || arg != tc.arg {
			t.Errorf("parseCommand(%q) = %q, %q", tc.line, verb, arg)
		}
	}
}

func TestStripTelnet(t *testing.T) {
	tests := map[string]string{
		"\xff\xf4\xff\xf2ABOR": "ABOR",
		"\xf2ABOR":             "ABOR",
		"\xff\xf4\xffABOR":     "ABOR", // DM dropped as out-of-band data
		"STOR a\xff\xffb":      "STOR a\xffb",
		"\xff\xfb\x01NOOP":     "NOOP",
		"NOOP\xff":             "NOOP",
		"plain":                "plain",
	}
	for in, want := range tests {
		if got := stripTelnet(in); got != want {
			t.Errorf("stripTelnet(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"USER a", "\xff\xf4\xff\xf2ABOR", "RETR \xff\xff", "\xff", "LIST -la /x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		clean := stripTelnet(line)
		if len(clean) > len(line) {
			t.Fatalf("stripTelnet grew %q to %q", line, clean)
		}
		verb, _ := parseCommand(clean)
		if strings.Contains(verb, " ") {
			t.Fatalf("verb %q has a space", verb)
		}
		_ = sanitize(clean)
	})
}

func TestParsePORTAndEPRT(t *testing.T) {
	good := map[string]string{
		"127,0,0,1,195,80":        "127.0.0.1:50000",
		" 10,0,0,2,4,1 ":          "10.0.0.2:1025",
		"|1|127.0.0.1|50000|":     "127.0.0.1:50000",
		"|2|::1|50001|":           "[::1]:50001",
		"!1!127.0.0.1!4000!":      "127.0.0.1:4000",
		"|2|::ffff:127.0.0.1|80|": "127.0.0.1:80",
	}
	for in, want := range good {
		var a *net.TCPAddr
		var err error
		if strings.Contains(in, ",") {
			a, err = parsePORT(in)
		} else {
			a, err = parseEPRT(in)
		}
		if err != nil || a.String() != want {
			t.Errorf("%q: got %v, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"1,2,3,4,5", "256,0,0,1,1,1", "a,b,c,d,e,f", "1,2,3,4,5,6,7", "-1,0,0,1,1,1"} {
		if _, err := parsePORT(in); err == nil {
			t.Errorf("parsePORT(%q) accepted", in)
		}
	}
	for _, in := range []string{"|1|::1|80|", "|1|127.0.0.1|0|", "|1|127.0.0.1|70000|", "|1|x|80|", "||", "|1|127.0.0.1|80", "|3|1.2.3.4|80|", "|2|fe80::1%eth0|80|", " "} {
		if _, err := parseEPRT(in); err == nil {
			t.Errorf("parseEPRT(%q) accepted", in)
		}
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"127,0,0,1,195,80", "|1|127.0.0.1|50000|", "|2|::1|1|", "|||", "1,1,1,1,1,1,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (*net.TCPAddr, error){parsePORT, parseEPRT} {
			a, err := parse(s)
			if err != nil {
				continue
			}
			if a.Port <= 0 || a.Port > 65535 || a.IP == nil {
				t.Fatalf("%q parsed to invalid %v", s, a)
			}
		}
	})
}

func TestParseListArgs(t *testing.T) {
	tests := map[string]string{
		"":             "",
		"-la":          "",
		"-a /dir":      "/dir",
		"-l -a dir x":  "dir x",
		"-rf":          "-rf", // not ls flags: a file name
		"./-la":        "./-la",
		"name":         "name",
		"-la -notflag": "-notflag",
	}
	for in, want := range tests {
		if got := parseListArgs(in); got != want {
			t.Errorf("parseListArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzListArgs(f *testing.F) {
	for _, s := range []string{"-la /x", "-", "- -", "-a", "  -l  name"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := parseListArgs(s)
		if len(got) > len(s) || !strings.HasSuffix(s, got) {
			t.Fatalf("parseListArgs(%q) = %q is not a suffix", s, got)
		}
	})
}

func TestLsLine(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)
	recent := backends.Entry{Name: "a b.txt", Size: 1234, ModTime: time.Date(2026, 11, 3, 9, 5, 0, 0, time.Local)}
	old := backends.Entry{Name: "dir", IsDir: true, ModTime: time.Date(2024, 1, 2, 3, 4, 0, 0, time.Local)}
	evil := backends.Entry{Name: "x\r\n226 done", ModTime: now}
	if got := lsLine(recent, now); got != "-rw-r--r-- 1 ftp ftp          1234 Nov  3 09:05 a b.txt" {
		t.Errorf("recent: %q", got)
	}
	if got := lsLine(old, now); got != "drwxr-xr-x 1 ftp ftp             0 Jan  2  2024 dir" {
		t.Errorf("old: %q", got)
	}
	if got := lsLine(evil, now); strings.ContainsAny(got, "\r\n") {
		t.Errorf("control characters in listing: %q", got)
	}
}

func TestPermFact(t *testing.T) {
	all := Permissions{true, true, true, true, true, true, true}
	if got := permFact(all, false); got != "adfrw" {
		t.Errorf("file: %q", got)
	}
	if got := permFact(all, true); got != "cdeflm" {
		t.Errorf("dir: %q", got)
	}
	if got := permFact(Permissions{List: true, Download: true}, false); got != "r" {
		t.Errorf("read-only file: %q", got)
	}
}

func TestASCIIConversion(t *testing.T) {
	for _, tc := range []struct{ stored, wire string }{
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb", "a\r\nb"},
		{"\n\n", "\r\n\r\n"},
		{"no newline", "no newline"},
	} {
		var out bytes.Buffer
		w := &crlfWriter{w: &out}
		// One byte at a time: conversions must not depend on chunking.
		for i := 0; i < len(tc.stored); i++ {
			w.Write([]byte{tc.stored[i]})
		}
		if out.String() != tc.wire {
			t.Errorf("crlf(%q) = %q, want %q", tc.stored, out.String(), tc.wire)
		}
	}
	for _, tc := range []struct{ wire, stored string }{
		{"a\r\nb\r\n", "a\nb\n"},
		{"a\rb", "a\rb"},
		{"end\r", "end\r"},
	} {
		var out bytes.Buffer
		w := &lfWriter{w: &out}
		for i := 0; i < len(tc.wire); i++ {
			w.Write([]byte{tc.wire[i]})
		}
		w.Close()
		if out.String() != tc.stored {
			t.Errorf("lf(%q) = %q, want %q", tc.wire, out.String(), tc.stored)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	good.Listeners = []ListenerConfig{{Address: "127.0.0.1:2121", TLS: TLSExplicit}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(c *Config){
		"listeners.0.tls":        func(c *Config) { c.Listeners[0].TLS = "sometimes" },
		"listeners.0.address":    func(c *Config) { c.Listeners[0].Address = "nope" },
		"tls.min_version":        func(c *Config) { c.TLS.MinVersion = "1.0" },
		"tls.session_reuse":      func(c *Config) { c.TLS.SessionReuse = "maybe" },
		"passive.port_range":     func(c *Config) { c.Passive.PortRange = "80-90" },
		"passive.public_host":    func(c *Config) { c.Passive.PublicHost = "not a host!" },
		"passive.reply_delay":    func(c *Config) { c.Passive.ReplyDelay = time.Second },
		"passive.reply_dela":     func(c *Config) { c.Passive.ReplyDelay = -time.Millisecond },
		"server.max_sessions":    func(c *Config) { c.Server.MaxSessions = 0 },
		"server.idle_timeout":    func(c *Config) { c.Server.IdleTimeout = 0 },
		"tls.cert_file":          func(c *Config) { c.TLS.CertFile = "x.pem" },
		"listeners":              func(c *Config) { c.Listeners = nil },
		"server.banner":          func(c *Config) { c.Server.Banner = "two\nlines" },
		"server.max_sessions_pe": func(c *Config) { c.Server.MaxSessionsPerIP = -1 },
	}
	for field, mutate := range bad {
		c := good
		c.Listeners = append([]ListenerConfig(nil), good.Listeners...)
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
