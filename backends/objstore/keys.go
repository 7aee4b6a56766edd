package objstore

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// TempKey returns a fresh staging key in the directory of key.
func TempKey(key string) string {
	var b [12]byte
	rand.Read(b[:])
	name := backends.TempPrefix + hex.EncodeToString(b[:])
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

// checkKey is backends.CheckKey within maxKeyLen.
func checkKey(key string) error {
	if len(key) > maxKeyLen {
		return fmt.Errorf("key of %d bytes is longer than %d: %w", len(key), maxKeyLen, backends.ErrInvalid)
	}
	return backends.CheckKey(key)
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
