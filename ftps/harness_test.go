package ftps_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// testServer is a real ftpsbridge front end on 127.0.0.1, with explicit,
// implicit and plaintext listeners on free ports, over a memory backend
// (the backends have their own conformance tests against real stores).
type testServer struct {
	srv      *ftps.Server
	explicit string
	implicit string
	plain    string
	certFile string
	store    backends.Backend
	bucket   backends.Bucket
	users    *mapping.Users
	logs     *testenv.LogBuffer
}

type setup struct {
	cfg   ftps.Config
	users []mapping.UserConfig
	// wrap, when set, stands between the users and the memory backend
	// (fault injection); the test's own bucket handle bypasses it.
	wrap func(backends.Backend) backends.Backend
	// obs, when set, receives the server's events.
	obs ftps.Observer
	// sink, when set, receives the sessions' transfer events.
	sink ftps.EventSink
}

var hashOnce = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, pw := range []string{"alice-pw", "bob-pw", "reader-pw", "writer-pw"} {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), 10)
		if err != nil {
			panic(err)
		}
		out[pw] = string(h)
	}
	return out
})

func defaultUsers() []mapping.UserConfig {
	h := hashOnce()
	all := []string{"list", "download", "upload", "overwrite", "delete", "rename", "mkdir"}
	return []mapping.UserConfig{
		{Name: "alice", PasswordHash: h["alice-pw"], Backend: "mem", Prefix: "alice/", Permissions: all},
		{Name: "bob", PasswordHash: h["bob-pw"], Backend: "mem", Prefix: "bob/", Permissions: all},
		{Name: "reader", PasswordHash: h["reader-pw"], Backend: "mem", Prefix: "alice/", Permissions: []string{"list", "download"}},
		{Name: "writer", PasswordHash: h["writer-pw"], Backend: "mem", Prefix: "drop/", Permissions: []string{"upload"}},
	}
}

// freePortRange picks a passive range unlikely to collide with another
// test process; the server skips ports that are taken anyway.
func freePortRange() string {
	base := 20000 + rand.IntN(30000)
	return fmt.Sprintf("%d-%d", base, base+199)
}

func startServer(t testing.TB, opts ...func(*setup)) *testServer {
	t.Helper()
	dir := t.TempDir()
	cfg := ftps.DefaultConfig()
	cfg.Server.DataDir = dir
	cfg.Server.IdleTimeout = 30 * time.Second
	cfg.Server.DataTimeout = 10 * time.Second
	cfg.Passive.PortRange = freePortRange()
	cfg.Listeners = []ftps.ListenerConfig{
		{Address: "127.0.0.1:0", TLS: ftps.TLSExplicit},
		{Address: "127.0.0.1:0", TLS: ftps.TLSImplicit},
		{Address: "127.0.0.1:0", TLS: ftps.TLSNone},
	}
	st := &setup{cfg: cfg, users: defaultUsers()}
	for _, o := range opts {
		o(st)
	}
	store := memory.New()
	storage := store
	if st.wrap != nil {
		storage = st.wrap(store)
	}
	users, err := mapping.New(st.users, map[string]backends.Backend{"mem": storage})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := ftps.New(st.cfg, users, log)
	if err != nil {
		t.Fatal(err)
	}
	if st.obs != nil {
		srv.SetObserver(st.obs)
	}
	if st.sink != nil {
		srv.SetEventSink(st.sink)
	}
	bucket, err := store.Bucket("")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, store: store, bucket: bucket, users: users, logs: logs,
		certFile: filepath.Join(dir, "tls", "cert.pem")}
	addrs := []*string{&ts.explicit, &ts.implicit, &ts.plain}
	var served sync.WaitGroup
	for i := range st.cfg.Listeners {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		*addrs[i] = l.Addr().String()
		served.Add(1)
		go func() { defer served.Done(); srv.ServeListener(l, i) }()
	}
	t.Cleanup(func() {
		srv.Close()
		served.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return ts
}

// replaceUsers swaps the user list, as SIGHUP does.
func (ts *testServer) replaceUsers(t testing.TB, users []mapping.UserConfig) {
	t.Helper()
	if err := ts.users.Replace(users, map[string]backends.Backend{"mem": ts.store}); err != nil {
		t.Fatal(err)
	}
}

// clientTLS trusts the server's generated certificate and caches sessions
// so data connections can resume the control connection's session.
func (ts *testServer) clientTLS(t testing.TB) *tls.Config {
	t.Helper()
	pemBytes, err := os.ReadFile(ts.certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	return &tls.Config{
		RootCAs:            pool,
		ServerName:         "127.0.0.1",
		ClientSessionCache: tls.NewLRUClientSessionCache(16),
	}
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// readObject reads a key straight from the bucket, bypassing FTP.
func (ts *testServer) readObject(t testing.TB, key string) ([]byte, error) {
	t.Helper()
	r, err := ts.bucket.Open(t.Context(), key, 0)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// putObject writes a key straight into the bucket.
func (ts *testServer) putObject(t testing.TB, key string, data []byte) {
	t.Helper()
	w, err := ts.bucket.Create(t.Context(), key, backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}
