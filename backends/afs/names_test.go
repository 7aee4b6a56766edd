package afs

import (
	"errors"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestCheckBucketName(t *testing.T) {
	for _, name := range []string{"", "a", "with space", "..."} {
		if err := CheckBucketName(name); err != nil {
			t.Errorf("CheckBucketName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{".", "..", "a/b", "/", `a\b`, "a\x00", backends.TempPrefix} {
		if err := CheckBucketName(name); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("CheckBucketName(%q) = %v, want ErrInvalid", name, err)
		}
	}
}
