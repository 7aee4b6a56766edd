package afs

import (
	"fmt"
	"path"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// CheckBucketName returns nil if name can be a bucket of a file-system
// driver: "" (the root) or one safe path element (see backends.CheckKey).
func CheckBucketName(name string) error {
	if name == "" {
		return nil
	}
	reason := backends.BadElement(name)
	if reason == "" && strings.Contains(name, "/") {
		reason = "contains a slash"
	}
	if reason != "" {
		return fmt.Errorf("bucket name %q: %s: %w", name, reason, backends.ErrInvalid)
	}
	return nil
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
