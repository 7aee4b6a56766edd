package objstore

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// TempPrefix starts the name of an object a driver stages beside its
// target (the new part of a resumed upload on GCS, before compose). Such
// names are never listed and cannot be addressed through the contract.
const TempPrefix = ".ftpsbridge-tmp-"

// TempKey returns a fresh staging key in the directory of key.
func TempKey(key string) string {
	var b [12]byte
	rand.Read(b[:])
	name := TempPrefix + hex.EncodeToString(b[:])
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i+1] + name
	}
	return name
}

// maxKeyLen is the longest key accepted, in bytes. S3, GCS and Azure all
// stop at 1,024; a key one byte shorter leaves room for the "/" of a
// directory marker.
const maxKeyLen = 1023

// implicitDirTime is the time of a directory that exists only because
// keys lie below it: it has no object, hence no time of its own. A fixed
// time keeps listings stable between calls (mirroring clients compare
// them) and is never the zero time, which some clients hide.
var implicitDirTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkKey returns nil if key is "" (the root) or slash-separated elements
// that each pass badElem, within maxKeyLen. Keys arrive confined by
// package mapping already; this is the second line of defence.
func checkKey(key string) error {
	if key == "" {
		return nil
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("key of %d bytes is longer than %d: %w", len(key), maxKeyLen, backends.ErrInvalid)
	}
	for elem := range strings.SplitSeq(key, "/") {
		if reason := badElem(elem); reason != "" {
			return fmt.Errorf("key %q: %s: %w", key, reason, backends.ErrInvalid)
		}
	}
	return nil
}

// badElem says what is wrong with one path element, or "" if nothing is.
// Control characters are refused because GCS rejects CR and LF, Azure
// mangles others, and none belongs in a file name worth serving; a
// backslash because Azure turns it into a slash.
func badElem(elem string) string {
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

// dirPrefix is the key prefix of the children of dir.
func dirPrefix(dir string) string {
	if dir == "" {
		return ""
	}
	return dir + "/"
}

// baseName returns the last element of a non-root key.
func baseName(key string) string {
	return key[strings.LastIndexByte(key, '/')+1:]
}
