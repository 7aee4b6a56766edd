package identity

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func bcryptOf(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost+6)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}
