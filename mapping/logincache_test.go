package mapping

import (
	"bytes"
	"context"
	"errors"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

func cachedLogin(u *Users, name, password, ip string) error {
	_, err := u.Login(context.Background(), ftps.LoginInfo{User: name, Password: password,
		RemoteAddr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 4000}})
	return err
}

func TestLoginCache(t *testing.T) {
	be := newTestBackend()
	alice := UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "alice-pw"), Backend: "mem", Permissions: []string{"list"}}
	bob := UserConfig{Name: "bob", PasswordHash: testBcrypt(t, "bob-pw"), Backend: "mem", Permissions: []string{"list"}}
	newUsers := func(t *testing.T) (*Users, *atomic.Int32) {
		u := testUsers(t, be, alice, bob)
		var checks atomic.Int32
		u.onVerify = func(verifier) { checks.Add(1) }
		return u, &checks
	}
	t.Run("repeated login skips the hash", func(t *testing.T) {
		u, checks := newUsers(t)
		for range 3 {
			if err := cachedLogin(u, "alice", "alice-pw", "127.0.0.2"); err != nil {
				t.Fatal(err)
			}
		}
		if n := checks.Load(); n != 1 {
			t.Fatalf("%d hash checks for 3 logins, want 1", n)
		}
	})
	t.Run("wrong password never enters and is always checked", func(t *testing.T) {
		u, checks := newUsers(t)
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		for range 2 {
			if err := cachedLogin(u, "alice", "guess", "127.0.0.2"); !errors.Is(err, backends.ErrPermission) {
				t.Fatalf("wrong password: %v", err)
			}
		}
		if n := checks.Load(); n != 3 {
			t.Fatalf("%d hash checks, want 3 (one good, two wrong)", n)
		}
		if n := u.cache.len(); n != 1 {
			t.Fatalf("%d cache entries, want 1", n)
		}
	})
	t.Run("other address or user pays again", func(t *testing.T) {
		u, checks := newUsers(t)
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		cachedLogin(u, "alice", "alice-pw", "127.0.0.3")
		cachedLogin(u, "bob", "bob-pw", "127.0.0.2")
		if n := checks.Load(); n != 3 {
			t.Fatalf("%d hash checks, want 3", n)
		}
	})
	t.Run("changed hash on reload drops the entry", func(t *testing.T) {
		u, checks := newUsers(t)
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		changed := alice
		changed.PasswordHash = testBcrypt(t, "new-pw")
		if err := u.Replace([]UserConfig{changed, bob}, map[string]backends.Backend{"mem": be}); err != nil {
			t.Fatal(err)
		}
		if n := u.cache.len(); n != 0 {
			t.Fatalf("%d cache entries after the hash changed, want 0", n)
		}
		if err := cachedLogin(u, "alice", "alice-pw", "127.0.0.2"); !errors.Is(err, backends.ErrPermission) {
			t.Fatalf("old password after reload: %v", err)
		}
		if err := cachedLogin(u, "alice", "new-pw", "127.0.0.2"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if n := checks.Load(); n != 3 {
			t.Fatalf("%d hash checks, want 3", n)
		}
	})
	t.Run("removed user drops the entry", func(t *testing.T) {
		u, _ := newUsers(t)
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		if err := u.Replace([]UserConfig{bob}, map[string]backends.Backend{"mem": be}); err != nil {
			t.Fatal(err)
		}
		if n := u.cache.len(); n != 0 {
			t.Fatalf("%d cache entries, want 0", n)
		}
	})
	t.Run("expires after ttl", func(t *testing.T) {
		u, checks := newUsers(t)
		now := time.Now()
		u.SetLoginCache(LoginCacheConfig{TTL: time.Minute, MaxEntries: 10})
		u.cache.now = func() time.Time { return now }
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		now = now.Add(2 * time.Minute)
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		if n := checks.Load(); n != 2 {
			t.Fatalf("%d hash checks, want 2", n)
		}
	})
	t.Run("bounded, least recently used goes", func(t *testing.T) {
		u, checks := newUsers(t)
		u.SetLoginCache(LoginCacheConfig{TTL: time.Minute, MaxEntries: 2})
		for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.4", "127.0.0.2", "127.0.0.3"} {
			cachedLogin(u, "alice", "alice-pw", ip)
		}
		// .2 miss, .3 miss, .2 hit, .4 miss (evicts .3), .2 hit, .3 miss.
		if n, size := checks.Load(), u.cache.len(); n != 4 || size != 2 {
			t.Fatalf("%d hash checks and %d entries, want 4 and 2", n, size)
		}
	})
	t.Run("off", func(t *testing.T) {
		u, checks := newUsers(t)
		u.SetLoginCache(LoginCacheConfig{})
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		if n := checks.Load(); n != 2 {
			t.Fatalf("%d hash checks, want 2", n)
		}
	})
	t.Run("holds no password", func(t *testing.T) {
		u, _ := newUsers(t)
		cachedLogin(u, "alice", "alice-pw", "127.0.0.2")
		for el := u.cache.lru.Front(); el != nil; el = el.Next() {
			v := reflect.ValueOf(*el.Value.(*cacheEntry))
			for i := range v.NumField() {
				var b []byte
				switch f := v.Field(i); f.Kind() {
				case reflect.String:
					b = []byte(f.String())
				case reflect.Array:
					for j := range f.Len() {
						b = append(b, byte(f.Index(j).Uint()))
					}
				}
				if bytes.Contains(b, []byte("alice-pw")) {
					t.Fatalf("cache entry field %s holds the password", v.Type().Field(i).Name)
				}
			}
		}
	})
}

// TestLoginCacheJoinsConcurrentChecks: many logins with the same
// credentials at once pay for one check.
func TestLoginCacheJoinsConcurrentChecks(t *testing.T) {
	u := testUsers(t, newTestBackend(), UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "pw"),
		Backend: "mem", Permissions: []string{"list"}})
	var checks atomic.Int32
	release := make(chan struct{})
	u.onVerify = func(verifier) { checks.Add(1); <-release }
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = cachedLogin(u, "alice", "pw", "127.0.0.2") })
	}
	for checks.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("login %d: %v", i, err)
		}
	}
	if n := checks.Load(); n != 1 {
		t.Fatalf("%d hash checks for 20 concurrent logins, want 1", n)
	}
}

// TestLoginCheckTimeoutIsBusy: a login that waits past its deadline for a
// check slot is ftps.ErrBusy, never a failed login.
func TestLoginCheckTimeoutIsBusy(t *testing.T) {
	u := testUsers(t, newTestBackend(), UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "pw"),
		Backend: "mem", Permissions: []string{"list"}})
	u.slots = make(chan struct{}) // no slot is ever free
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := u.Login(ctx, ftps.LoginInfo{User: "alice", Password: "pw"})
	if !errors.Is(err, ftps.ErrBusy) || errors.Is(err, backends.ErrPermission) {
		t.Fatalf("Login = %v, want ftps.ErrBusy and not ErrPermission", err)
	}
}

func TestLoginCacheConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    LoginCacheConfig
		ok   bool
	}{
		{"default", DefaultLoginCache(), true},
		{"off", LoginCacheConfig{}, true},
		{"negative ttl", LoginCacheConfig{TTL: -1, MaxEntries: 1}, false},
		{"too long", LoginCacheConfig{TTL: 48 * time.Hour, MaxEntries: 1}, false},
		{"no entries", LoginCacheConfig{TTL: time.Minute}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
