package mapping

import (
	"context"
	"errors"
	"io"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// MountProbe is the outcome of reaching one mount of a user.
type MountProbe struct {
	Path             string
	ListErr, StatErr error
	Entries          int // on the first page of the listing
}

// Probe tells whether user name can reach each of its mounts, as a login
// would: it lists the mount point (one page) and stats it, through the
// user's own mapping, and writes nothing. It needs no password: it is
// for the operator, not for the user.
func (u *Users) Probe(ctx context.Context, name string) ([]MountProbe, error) {
	usr := u.set.Load().byName[name]
	if usr == nil {
		return nil, backends.ErrNotExist
	}
	s := *usr.template
	var out []MountProbe
	for _, m := range s.mounts {
		p := MountProbe{Path: m.Path}
		if l, err := s.List(ctx, m.Path); err != nil {
			p.ListErr = err
		} else {
			page, err := l.Next(ctx)
			if err != nil && !errors.Is(err, io.EOF) {
				p.ListErr = err
			}
			p.Entries = len(page)
			l.Close()
		}
		_, p.StatErr = s.Stat(ctx, m.Path)
		out = append(out, p)
	}
	return out, nil
}
