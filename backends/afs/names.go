package afs

import (
	"fmt"
	"path"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// TempPrefix starts the name of every staged upload. Such names are hidden
// from Stat and List and refused as keys, so no client can see, read or
// overwrite another client's upload in progress.
const TempPrefix = ".ftpsbridge-tmp-"

// CheckKey returns nil if key is well formed: "" (the root), or elements
// separated by single slashes, none of them empty, ".", "..", containing a
// backslash or NUL, or starting with TempPrefix. Otherwise it returns an
// error wrapping backends.ErrInvalid. Keys arrive already confined by
// package mapping; this is the second line of defence, so it treats every
// key as hostile.
func CheckKey(key string) error {
	if key == "" {
		return nil
	}
	for elem := range strings.SplitSeq(key, "/") {
		if reason := badElem(elem); reason != "" {
			return fmt.Errorf("key %q: %s: %w", key, reason, backends.ErrInvalid)
		}
	}
	return nil
}

// CheckBucketName returns nil if name can be a bucket of a file-system
// driver: "" (the root) or one safe path element (see CheckKey).
func CheckBucketName(name string) error {
	if name == "" {
		return nil
	}
	reason := badElem(name)
	if reason == "" && strings.Contains(name, "/") {
		reason = "contains a slash"
	}
	if reason != "" {
		return fmt.Errorf("bucket name %q: %s: %w", name, reason, backends.ErrInvalid)
	}
	return nil
}

// badElem says what is wrong with one path element, or "" if nothing is.
func badElem(elem string) string {
	switch {
	case elem == "":
		return "empty path element (leading, trailing or double slash)"
	case elem == "." || elem == "..":
		return "dot element"
	case strings.ContainsRune(elem, '\\'):
		return "contains a backslash"
	case strings.ContainsRune(elem, 0):
		return "contains NUL"
	case strings.HasPrefix(elem, TempPrefix):
		return "reserved name"
	}
	return ""
}

// parentKey returns the key of the directory holding key ("" for the root).
func parentKey(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return ""
	}
	return key[:i]
}

// baseName returns the last element of a non-root key.
func baseName(key string) string {
	return path.Base(key)
}

// joinKey joins a directory key and a child name.
func joinKey(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
