package backendtest

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// hostileKeys are keys that package mapping should never produce; every
// driver must refuse them with ErrInvalid rather than interpret them.
var hostileKeys = []string{
	"../x", "a/../../x", "..", ".", "./a", "a/.", "a/./b", "x/..",
	"/abs", "/", "a/", "a//b", "a\\b", `..\x`, "a\x00b", "\x00",
}

// testHostileKeys calls every method with every hostile key.
func testHostileKeys(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "ok", []byte("x"))
	for _, key := range hostileKeys {
		t.Run(quote(key), func(t *testing.T) {
			for what, err := range hostileCalls(t, b, key) {
				wantErr(t, err, what, backends.ErrInvalid)
			}
		})
	}
	s.checkNames(t, b, "", "ok")
	checkContent(t, b, "ok", []byte("x"))
}

// hostileCalls yields the error of each method called with key.
func hostileCalls(t *testing.T, b backends.Bucket, key string) func(yield func(string, error) bool) {
	ctx, q := t.Context(), quote(key)
	return func(yield func(string, error) bool) {
		_, err := b.Stat(ctx, key)
		if !yield("Stat("+q+")", err) {
			return
		}
		l, err := b.List(ctx, key)
		if err == nil {
			l.Close()
		}
		r, oerr := b.Open(ctx, key, 0)
		if oerr == nil {
			r.Close()
		}
		w, cerr := b.Create(ctx, key, backends.CreateOptions{})
		if cerr == nil {
			w.Abort()
		}
		_ = yield("List("+q+")", err) &&
			yield("Open("+q+")", oerr) &&
			yield("Create("+q+")", cerr) &&
			yield("Delete("+q+")", b.Delete(ctx, key)) &&
			yield("Mkdir("+q+")", b.Mkdir(ctx, key)) &&
			yield("Rmdir("+q+")", b.Rmdir(ctx, key)) &&
			yield("Rename("+q+", ok2)", b.Rename(ctx, key, "ok2")) &&
			yield("Rename(ok, "+q+")", b.Rename(ctx, "ok", key))
	}
}
