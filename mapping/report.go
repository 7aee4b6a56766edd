package mapping

import "github.com/ftpsbridge/ftpsbridge/ftps"

// Permissions reports what the user may do at path, so MLSD and MLST can
// state a truthful perm fact. The checks themselves stay in each
// operation; this is only what the client is told.
func (s *Session) Permissions(path string) ftps.Permissions {
	t, err := s.resolve(path)
	if err != nil || t.mount == nil {
		return ftps.Permissions{List: t.fixed}
	}
	p := t.mount.Perm
	return ftps.Permissions{
		List:      p.Has(PermList),
		Download:  p.Has(PermDownload),
		Upload:    p.Has(PermUpload),
		Overwrite: p.Has(PermOverwrite),
		Delete:    p.Has(PermDelete) && !t.fixed,
		Rename:    p.Has(PermRename) && !t.fixed,
		Mkdir:     p.Has(PermMkdir),
	}
}
