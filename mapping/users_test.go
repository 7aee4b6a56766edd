package mapping

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

func testUsers(t *testing.T, be backends.Backend, users ...UserConfig) *Users {
	t.Helper()
	u, err := New(users, map[string]backends.Backend{"mem": be})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

func login(u *Users, name, password string) (ftps.FileSystem, error) {
	return u.Login(context.Background(), ftps.LoginInfo{User: name, Password: password})
}

func TestLogin(t *testing.T) {
	be := newTestBackend()
	users := []UserConfig{
		{Name: "alice", PasswordHash: testBcrypt(t, "alice-pw"), Backend: "mem", Bucket: "data",
			Prefix: "alice/", Permissions: []string{"*"}, Home: "/in"},
		{Name: "bob", PasswordHash: testArgon2id(t, "bob-pw", 19456, 2, 1), Backend: "mem", Bucket: "data",
			Prefix: "bob", Permissions: []string{"list"}},
		{Name: "carol", PasswordHash: testBcrypt(t, "carol-pw"), Backend: "mem", Bucket: "data",
			Prefix: "carol", Permissions: []string{"list"}, Disabled: true},
	}
	u := testUsers(t, be, users...)
	tests := []struct {
		name, user, password string
		ok                   bool
		home                 string
	}{
		{"bcrypt", "alice", "alice-pw", true, "/in"},
		{"argon2id", "bob", "bob-pw", true, "/"},
		{"bcrypt wrong password", "alice", "bob-pw", false, ""},
		{"argon2id wrong password", "bob", "alice-pw", false, ""},
		{"empty password", "alice", "", false, ""},
		{"unknown user", "mallory", "alice-pw", false, ""},
		{"user name case", "Alice", "alice-pw", false, ""},
		{"disabled user right password", "carol", "carol-pw", false, ""},
		{"disabled user wrong password", "carol", "x", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := login(u, tc.user, tc.password)
			if !tc.ok {
				if !errors.Is(err, backends.ErrPermission) || fs != nil {
					t.Fatalf("Login = %v, %v; want ErrPermission", fs, err)
				}
				// Every failure looks the same to the client.
				if !errors.Is(err, errLoginFailed) {
					t.Fatalf("Login error %v is not the common login failure", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			if fs.Home() != tc.home {
				t.Errorf("Home = %q, want %q", fs.Home(), tc.home)
			}
		})
	}
	if !u.PasswordRequired("alice", nil) || !u.PasswordRequired("nobody", nil) {
		t.Error("PasswordRequired = false")
	}
}

// TestLoginAlwaysHashes proves that a failed login does a hash check
// whether or not the user exists, against a hash of the same cost.
func TestLoginAlwaysHashes(t *testing.T) {
	be := newTestBackend()
	u := testUsers(t, be,
		UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "pw"), Backend: "mem",
			Permissions: []string{"list"}},
		UserConfig{Name: "dave", PasswordHash: testBcrypt(t, "pw"), Backend: "mem",
			Permissions: []string{"list"}, Disabled: true})
	var mu sync.Mutex
	var checked []verifier
	u.onVerify = func(v verifier) {
		mu.Lock()
		checked = append(checked, v)
		mu.Unlock()
	}
	for _, tc := range []struct{ name, user, password string }{
		{"unknown user", "mallory", "pw"},
		{"wrong password", "alice", "nope"},
		{"disabled user", "dave", "pw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checked = nil
			if _, err := login(u, tc.user, tc.password); !errors.Is(err, backends.ErrPermission) {
				t.Fatalf("Login: %v", err)
			}
			if len(checked) != 1 {
				t.Fatalf("%d hash checks, want 1", len(checked))
			}
			if got, want := checked[0].params(), "bcrypt/10"; got != want {
				t.Fatalf("checked a %s hash, want %s", got, want)
			}
		})
	}
}

func TestLoginCancelled(t *testing.T) {
	u := testUsers(t, newTestBackend(), UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "pw"),
		Backend: "mem", Permissions: []string{"list"}})
	u.slots = make(chan struct{}) // no slot is ever free
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := u.Login(ctx, ftps.LoginInfo{User: "alice", Password: "pw"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Login = %v, want context.Canceled", err)
	}
}

func TestTypicalHash(t *testing.T) {
	b10, _ := parseHash(testBcrypt(t, "a"))
	a, _ := parseHash(testArgon2id(t, "a", 19456, 2, 1))
	if got := typicalHash([]verifier{b10, a, a}); got.params() != a.params() {
		t.Errorf("typical = %s, want %s", got.params(), a.params())
	}
	if got := typicalHash([]verifier{b10, a}); got.params() != b10.params() {
		t.Errorf("tie: typical = %s, want the first, %s", got.params(), b10.params())
	}
	if got := typicalHash(nil); got.params() != "bcrypt/12" {
		t.Errorf("empty: typical = %s", got.params())
	}
}

func TestNewErrors(t *testing.T) {
	good := UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "pw"), Backend: "mem",
		Permissions: []string{"list"}}
	bad := good
	bad.Prefix = "../x"
	if _, err := New([]UserConfig{bad}, map[string]backends.Backend{"mem": newTestBackend()}); err == nil {
		t.Error("invalid config accepted")
	}
	var fe *fielderr.Error
	_, err := New([]UserConfig{good}, map[string]backends.Backend{"mem": failingBackend{}})
	if !errors.As(err, &fe) || fe.Field != "users.0.bucket" {
		t.Errorf("bucket error = %v, want users.0.bucket", err)
	}
	_, err = New([]UserConfig{good}, map[string]backends.Backend{"mem": nil})
	if !errors.As(err, &fe) || fe.Field != "users.0.backend" {
		t.Errorf("nil backend error = %v, want users.0.backend", err)
	}
}

type failingBackend struct{}

func (failingBackend) Bucket(string) (backends.Bucket, error) {
	return nil, errors.New("no such bucket")
}
func (failingBackend) Close() error { return nil }

func TestReplace(t *testing.T) {
	be := newTestBackend()
	stores := map[string]backends.Backend{"mem": be}
	alice := UserConfig{Name: "alice", PasswordHash: testBcrypt(t, "pw"), Backend: "mem",
		Prefix: "alice", Permissions: []string{"*"}}
	bob := alice
	bob.Name, bob.Prefix = "bob", "bob"
	u := testUsers(t, be, alice)
	old, err := login(u, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}

	// Logins keep working while the list is swapped underneath them.
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 4 {
		wg.Go(func() {
			for range 3 {
				if _, err := login(u, "alice", "pw"); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	for range 3 {
		if err := u.Replace([]UserConfig{alice, bob}, stores); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d logins failed during Replace", failures.Load())
	}
	if _, err := login(u, "bob", "pw"); err != nil {
		t.Fatalf("new user cannot log in: %v", err)
	}

	// An invalid list is refused and the current one stays.
	bad := bob
	bad.Backend = "nope"
	if err := u.Replace([]UserConfig{bad}, stores); err == nil {
		t.Fatal("invalid list accepted")
	}
	if _, err := login(u, "bob", "pw"); err != nil {
		t.Fatalf("failed Replace changed the list: %v", err)
	}

	// Removing a user stops new logins, not the open session.
	if err := u.Replace([]UserConfig{bob}, stores); err != nil {
		t.Fatal(err)
	}
	if _, err := login(u, "alice", "pw"); !errors.Is(err, backends.ErrPermission) {
		t.Fatalf("removed user logged in: %v", err)
	}
	if err := upload(old, "/still-here", 0, "x"); err != nil {
		t.Fatalf("open session broken by Replace: %v", err)
	}
	if data, _ := get(t, testBucket(t, be, ""), "alice/still-here"); data != "x" {
		t.Fatalf("upload landed elsewhere: %q", data)
	}
}
