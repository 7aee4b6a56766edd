package objstore

import (
	"net/http"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// KindOfStatus classifies an HTTP status from an object store's API, for
// the errors a driver's SDK reports without a more specific code (HEAD
// responses carry no body). It returns nil for statuses that say nothing
// about the kind (the driver then keeps the error unclassified):
//
//   - 404 is backends.ErrNotExist; 401 and 403 ErrPermission;
//   - 409 is ErrExist (a store refusing "a/b" while file "a" exists, or
//     a name taken);
//   - 408, 412 (a pinned version changed), 416 (the object shrank
//     between a stat and a ranged read), 429 and 5xx are ErrTransient:
//     trying again later, from a fresh stat, can succeed.
func KindOfStatus(code int) error {
	switch {
	case code == http.StatusNotFound:
		return backends.ErrNotExist
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return backends.ErrPermission
	case code == http.StatusConflict:
		return backends.ErrExist
	case code == http.StatusRequestTimeout, code == http.StatusPreconditionFailed,
		code == http.StatusRequestedRangeNotSatisfiable, code == http.StatusTooManyRequests, code >= 500:
		return backends.ErrTransient
	}
	return nil
}
