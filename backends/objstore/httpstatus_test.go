package objstore

import (
	"net/http"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestKindOfStatus(t *testing.T) {
	for code, want := range map[int]error{
		http.StatusNotFound:                     backends.ErrNotExist,
		http.StatusUnauthorized:                 backends.ErrPermission,
		http.StatusForbidden:                    backends.ErrPermission,
		http.StatusConflict:                     backends.ErrExist,
		http.StatusRequestTimeout:               backends.ErrTransient,
		http.StatusPreconditionFailed:           backends.ErrTransient,
		http.StatusRequestedRangeNotSatisfiable: backends.ErrTransient,
		http.StatusTooManyRequests:              backends.ErrTransient,
		http.StatusInternalServerError:          backends.ErrTransient,
		http.StatusServiceUnavailable:           backends.ErrTransient,
		http.StatusBadRequest:                   nil,
		http.StatusOK:                           nil,
	} {
		if got := KindOfStatus(code); got != want {
			t.Errorf("KindOfStatus(%d) = %v, want %v", code, got, want)
		}
	}
}
