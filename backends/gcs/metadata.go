package gcs

import (
	"context"
	"strconv"

	"cloud.google.com/go/storage"

	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// UpdateMetadata patches obj's metadata in place, only if obj is still
// the live generation (a concurrent overwrite fails it, ErrTransient).
func (s *store) UpdateMetadata(ctx context.Context, obj objstore.Object, set map[string]string) error {
	gen, err := strconv.ParseInt(obj.Version, 10, 64)
	if err != nil {
		return invalid("version %q of %q is not a GCS generation", obj.Version, obj.Key)
	}
	rctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	h := s.object(obj.Key).If(storage.Conditions{GenerationMatch: gen})
	_, err = h.Update(rctx, storage.ObjectAttrsToUpdate{Metadata: objstore.Merged(obj.Metadata, set)})
	return classify(ctx, "set metadata", obj.Key, err)
}
