package mapping

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password hashing policy.
const (
	// HashCost is the bcrypt cost HashPassword uses.
	HashCost = 12
	// MinBcryptCost is the weakest bcrypt cost a configured hash may use.
	MinBcryptCost = 10
	// MaxBcryptCost bounds the work one login attempt can cost: at 16 a
	// check takes seconds, and unauthenticated clients choose how often
	// it runs.
	MaxBcryptCost = 16
	// maxBcryptPassword bounds what a client can make us hash. bcrypt only
	// looks at the first 72 bytes, so a longer password is refused rather
	// than silently truncated.
	maxBcryptPassword = 72
)

// Bounds on argon2id parameters. The minimums follow the OWASP password
// storage guidance (m=19 MiB with t=2, or the equivalent m·t trade-offs
// down to m=7 MiB with t=5); the maximums bound the memory and time one
// unauthenticated login attempt can cost.
const (
	argonMinMemory   = 7 * 1024 // KiB
	argonMinWork     = 7 * 1024 * 5
	argonMaxMemory   = 1024 * 1024 // KiB, 1 GiB
	argonMaxTime     = 64
	argonMaxThreads  = 64
	argonMinSaltLen  = 8
	argonMinKeyLen   = 16
	argonMaxFieldLen = 1024
)

// verifier checks passwords against one parsed hash.
type verifier interface {
	verify(password string) bool
	// params names the algorithm and cost, without salt or hash, so that
	// a dummy with the same cost can be made for unknown users.
	params() string
	// dummy returns a verifier of the same cost for a random password.
	dummy() (verifier, error)
}

// parseHash parses a configured password hash. Its errors never quote the
// hash, which is a secret in its own right.
func parseHash(s string) (verifier, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case s == "":
		return nil, errors.New("required (generate one with: ftpsbridge hash-password)")
	}
	return nil, errors.New("not a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$) hash")
}

// HashPassword returns a bcrypt hash of password at cost HashCost, for
// the password_hash key.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password")
	}
	if len(password) > maxBcryptPassword {
		return "", fmt.Errorf("password longer than %d bytes", maxBcryptPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), HashCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

type bcryptHash struct {
	hash []byte
	cost int
}

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func parseBcrypt(s string) (verifier, error) {
	// $2b$12$ + 22 characters of salt + 31 of hash.
	if len(s) != 60 || s[6] != '$' || strings.Trim(s[7:], bcryptAlphabet) != "" {
		return nil, errors.New("malformed bcrypt hash")
	}
	cost, err := bcrypt.Cost([]byte(s))
	if err != nil {
		return nil, errors.New("malformed bcrypt hash")
	}
	if cost < MinBcryptCost {
		return nil, fmt.Errorf("bcrypt cost %d is too weak (minimum %d)", cost, MinBcryptCost)
	}
	if cost > MaxBcryptCost {
		return nil, fmt.Errorf("bcrypt cost %d is too slow (maximum %d)", cost, MaxBcryptCost)
	}
	return &bcryptHash{hash: []byte(s), cost: cost}, nil
}

func (h *bcryptHash) verify(password string) bool {
	// Compare even a password that is too long, so it costs the same.
	ok := bcrypt.CompareHashAndPassword(h.hash, []byte(password)) == nil
	return ok && len(password) <= maxBcryptPassword
}

func (h *bcryptHash) params() string { return "bcrypt/" + strconv.Itoa(h.cost) }

func (h *bcryptHash) dummy() (verifier, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), h.cost)
	if err != nil {
		return nil, err
	}
	return &bcryptHash{hash: hash, cost: h.cost}, nil
}

type argon2idHash struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// parseArgon2id parses a PHC string:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, with salt
// and hash in unpadded standard base64, as the reference tool writes it.
func parseArgon2id(s string) (verifier, error) {
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return nil, errors.New("malformed argon2id hash: want $argon2id$v=19$m=...,t=...,p=...$salt$hash")
	}
	if f[2] != "v=19" {
		return nil, errors.New("unsupported argon2id version (want v=19)")
	}
	h := &argon2idHash{}
	if err := h.parseParams(f[3]); err != nil {
		return nil, err
	}
	var err error
	if h.salt, err = decodeB64(f[4]); err != nil || len(h.salt) < argonMinSaltLen {
		return nil, fmt.Errorf("malformed argon2id salt (want at least %d bytes of unpadded base64)", argonMinSaltLen)
	}
	if h.key, err = decodeB64(f[5]); err != nil || len(h.key) < argonMinKeyLen {
		return nil, fmt.Errorf("malformed argon2id hash (want at least %d bytes of unpadded base64)", argonMinKeyLen)
	}
	return h, nil
}

func decodeB64(s string) ([]byte, error) {
	if len(s) > argonMaxFieldLen {
		return nil, errors.New("too long")
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}

func (h *argon2idHash) parseParams(s string) error {
	var m, t, p uint64
	params := strings.Split(s, ",")
	if len(params) != 3 {
		return errors.New("malformed argon2id parameters: want m=N,t=N,p=N")
	}
	for i, dst := range []*uint64{&m, &t, &p} {
		name, val, ok := strings.Cut(params[i], "=")
		n, err := strconv.ParseUint(val, 10, 32)
		if !ok || name != "mtp"[i:i+1] || err != nil {
			return errors.New("malformed argon2id parameters: want m=N,t=N,p=N")
		}
		*dst = n
	}
	switch {
	case m < argonMinMemory || m*t < argonMinWork:
		return fmt.Errorf("argon2id parameters m=%d,t=%d are too weak (need m >= %d and m*t >= %d)",
			m, t, argonMinMemory, argonMinWork)
	case m > argonMaxMemory || t > argonMaxTime:
		return fmt.Errorf("argon2id parameters m=%d,t=%d are too costly (maximum m=%d, t=%d)",
			m, t, argonMaxMemory, argonMaxTime)
	case p < 1 || p > argonMaxThreads || m < 8*p:
		return fmt.Errorf("argon2id parallelism p=%d is out of range (1..%d, and m >= 8*p)", p, argonMaxThreads)
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	return nil
}

func (h *argon2idHash) verify(password string) bool {
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

func (h *argon2idHash) params() string {
	return fmt.Sprintf("argon2id/m=%d,t=%d,p=%d,k=%d", h.memory, h.time, h.threads, len(h.key))
}

func (h *argon2idHash) dummy() (verifier, error) {
	d := *h
	d.salt = make([]byte, len(h.salt))
	if _, err := rand.Read(d.salt); err != nil {
		return nil, err
	}
	d.key = argon2.IDKey([]byte(rand.Text()), d.salt, d.time, d.memory, d.threads, uint32(len(h.key)))
	return &d, nil
}

// dummies caches one dummy verifier per cost, so reloading the user list
// does not pay for a new one each time.
var dummies sync.Map // params() -> verifier

// dummyLike returns a verifier with the same cost as v, whose password
// nobody knows. Unknown users are checked against it so that a failed
// login costs the same whether or not the user exists.
func dummyLike(v verifier) (verifier, error) {
	if d, ok := dummies.Load(v.params()); ok {
		return d.(verifier), nil
	}
	d, err := v.dummy()
	if err != nil {
		return nil, err
	}
	actual, _ := dummies.LoadOrStore(v.params(), d)
	return actual.(verifier), nil
}
