package mapping

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

var (
	bcryptCacheMu sync.Mutex
	bcryptCache   = map[string]string{}
)

// testBcrypt hashes password at the weakest accepted cost, once per test
// binary, to keep the tests fast.
func testBcrypt(t testing.TB, password string) string {
	t.Helper()
	bcryptCacheMu.Lock()
	defer bcryptCacheMu.Unlock()
	if h, ok := bcryptCache[password]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), MinBcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	bcryptCache[password] = string(h)
	return string(h)
}

// testArgon2id makes a PHC string the way the reference argon2 tool does.
func testArgon2id(t testing.TB, password string, m, tm uint32, p uint8) string {
	t.Helper()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey([]byte(password), salt, tm, m, p, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestParseHash(t *testing.T) {
	good := testBcrypt(t, "secret")
	cost4, _ := bcrypt.GenerateFromPassword([]byte("x"), 4)
	argon := testArgon2id(t, "secret", 19456, 2, 1)
	tests := []struct {
		name, hash, wantErr string
	}{
		{"bcrypt 2a", good, ""},
		{"bcrypt 2b", "$2b$" + good[4:], ""},
		{"bcrypt 2y", "$2y$" + good[4:], ""},
		{"bcrypt weak cost", string(cost4), "too weak"},
		{"bcrypt slow cost", good[:4] + "17" + good[6:], "too slow"},
		{"bcrypt truncated", good[:59], "malformed"},
		{"bcrypt bad alphabet", good[:59] + "!", "malformed"},
		{"bcrypt 2x", "$2x$" + good[4:], "not a bcrypt"},
		{"argon2id", argon, ""},
		{"argon2id weak memory", testArgon2id(t, "s", 4096, 10, 1), "too weak"},
		{"argon2id weak work", testArgon2id(t, "s", 8192, 2, 1), "too weak"},
		{"argon2id bad version", strings.Replace(argon, "v=19", "v=16", 1), "version"},
		{"argon2id reordered", strings.Replace(argon, "m=19456,t=2", "t=2,m=19456", 1), "parameters"},
		{"argon2id huge memory", strings.Replace(argon, "m=19456", "m=4194304", 1), "too costly"},
		{"argon2id zero threads", strings.Replace(argon, "p=1", "p=0", 1), "parallelism"},
		{"argon2id padded salt", strings.Replace(argon, "$v=19$m=19456,t=2,p=1$", "$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA==$", 1), "malformed"},
		{"argon2id short hash", argon[:strings.LastIndex(argon, "$")+1] + "AAAA", "malformed argon2id hash"},
		{"argon2i", strings.Replace(argon, "argon2id", "argon2i", 1), "not a bcrypt"},
		{"empty", "", "required"},
		{"plaintext", "hunter2", "not a bcrypt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseHash(tc.hash)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("parseHash: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parseHash error = %v; want one containing %q", err, tc.wantErr)
			}
			if tc.hash != "" && strings.Contains(err.Error(), tc.hash) {
				t.Fatalf("error %q quotes the hash", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		hash string
	}{
		{"bcrypt", testBcrypt(t, "correct horse")},
		{"argon2id", testArgon2id(t, "correct horse", 19456, 2, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseHash(tc.hash)
			if err != nil {
				t.Fatal(err)
			}
			if !v.verify("correct horse") {
				t.Error("right password refused")
			}
			for _, wrong := range []string{"", "correct hors", "correct horse ", "Correct horse"} {
				if v.verify(wrong) {
					t.Errorf("wrong password %q accepted", wrong)
				}
			}
			d, err := dummyLike(v)
			if err != nil {
				t.Fatal(err)
			}
			if d.params() != v.params() {
				t.Errorf("dummy params %s, want %s", d.params(), v.params())
			}
			if d.verify("correct horse") || d.verify("") {
				t.Error("dummy accepted a password")
			}
		})
	}
}

func TestBcryptRefusesLongPassword(t *testing.T) {
	long := strings.Repeat("p", 72)
	v, err := parseHash(testBcrypt(t, long))
	if err != nil {
		t.Fatal(err)
	}
	if !v.verify(long) {
		t.Fatal("72-byte password refused")
	}
	// bcrypt ignores bytes past 72; we must not.
	if v.verify(long + "extra") {
		t.Fatal("password longer than 72 bytes accepted")
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != HashCost {
		t.Fatalf("cost = %d, %v; want %d", cost, err, HashCost)
	}
	v, err := parseHash(h)
	if err != nil {
		t.Fatalf("HashPassword output does not validate: %v", err)
	}
	if !v.verify("s3cret") {
		t.Fatal("HashPassword output does not verify")
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("empty password accepted")
	}
	if _, err := HashPassword(strings.Repeat("x", 73)); err == nil {
		t.Error("73-byte password accepted")
	}
}
