package backends

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TempPrefix starts the names drivers give to what they stage beside its
// target: an upload in progress on a file system, the new part of a
// resumed upload on GCS. No key may have an element that starts with it
// and listings never show one, so no client can see, read or overwrite
// another client's upload in progress.
const TempPrefix = ".ftpsbridge-tmp-"

// CheckKey returns nil if key is a key of the contract: "" (the root), or
// elements separated by single slashes that each pass BadElement.
// Otherwise it returns an error wrapping ErrInvalid. Keys arrive resolved
// and confined by package mapping already; drivers check again because
// this is the last point before a key reaches storage.
func CheckKey(key string) error {
	if key == "" {
		return nil
	}
	for elem := range strings.SplitSeq(key, "/") {
		if reason := BadElement(elem); reason != "" {
			return fmt.Errorf("key %q: %s: %w", key, reason, ErrInvalid)
		}
	}
	return nil
}

// BadElement says what is wrong with one element of a key (or a name in a
// listing), or "" if nothing is. Dot elements could climb out of a prefix.
// Control characters are refused because GCS rejects CR and LF, Azure
// mangles others, a name in a listing must not break its line, and none
// belongs in a file name worth serving; a backslash because Azure (and a
// disk on Windows) takes it for a slash; invalid UTF-8 because object
// stores require UTF-8 names.
func BadElement(elem string) string {
	switch {
	case elem == "":
		return "empty path element (leading, trailing or double slash)"
	case elem == "." || elem == "..":
		return "dot element"
	case !utf8.ValidString(elem):
		return "not valid UTF-8"
	case strings.ContainsRune(elem, '\\'):
		return "contains a backslash"
	case strings.HasPrefix(elem, TempPrefix):
		return "reserved for staged uploads"
	}
	for _, r := range elem {
		if r < 0x20 || r == 0x7f {
			return "contains a control character"
		}
	}
	return ""
}
