package afs

import (
	"errors"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestCheckKey(t *testing.T) {
	good := []string{"", "a", "a/b", "...", ".hidden", "a..b", "-rf", "sp ace", "日本/語", "x" + TempPrefix}
	for _, key := range good {
		if err := CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", key, err)
		}
	}
	bad := []string{
		"/", "/a", "a/", "a//b", ".", "..", "a/.", "./a", "a/../b", `a\b`, "a\x00",
		TempPrefix + "x", "d/" + TempPrefix, "d/" + TempPrefix + "x/y",
	}
	for _, key := range bad {
		if err := CheckKey(key); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalid", key, err)
		}
	}
}

func TestCheckBucketName(t *testing.T) {
	for _, name := range []string{"", "a", "with space", "..."} {
		if err := CheckBucketName(name); err != nil {
			t.Errorf("CheckBucketName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{".", "..", "a/b", "/", `a\b`, "a\x00", TempPrefix} {
		if err := CheckBucketName(name); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("CheckBucketName(%q) = %v, want ErrInvalid", name, err)
		}
	}
}
