package backends

import (
	"errors"
	"testing"
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
		"a\nb", "a\rb", "\x7f", "\xff", "d/\xc3",
		TempPrefix + "x", "d/" + TempPrefix, "d/" + TempPrefix + "x/y",
	}
	for _, key := range bad {
		if err := CheckKey(key); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalid", key, err)
		}
	}
}
