package mapping

import (
	"fmt"
	"strings"
)

// Perm is a set of operations a user may perform on a mount.
type Perm uint8

// The permissions an operator can grant, by their config names.
const (
	PermList      Perm = 1 << iota // "list": LIST, NLST, MLSD
	PermDownload                   // "download": RETR
	PermUpload                     // "upload": STOR of a new file
	PermOverwrite                  // "overwrite": replace or append to an existing file
	PermDelete                     // "delete": DELE, RMD
	PermRename                     // "rename": RNFR/RNTO
	PermMkdir                      // "mkdir": MKD

	// PermAll is what "*" grants.
	PermAll = PermList | PermDownload | PermUpload | PermOverwrite |
		PermDelete | PermRename | PermMkdir
)

// permNames is ordered like the bits, so String is deterministic.
var permNames = []struct {
	name string
	perm Perm
}{
	{"list", PermList},
	{"download", PermDownload},
	{"upload", PermUpload},
	{"overwrite", PermOverwrite},
	{"delete", PermDelete},
	{"rename", PermRename},
	{"mkdir", PermMkdir},
}

// ParsePerm converts config permission names to a Perm. Names are exact
// (lower case): a typo must fail loudly rather than silently grant less,
// or, worse, be mistaken for something else.
func ParsePerm(names []string) (Perm, error) {
	var p Perm
	for _, n := range names {
		if n == "*" {
			p |= PermAll
			continue
		}
		q, ok := permByName(n)
		if !ok {
			return 0, fmt.Errorf("unknown permission %q (want one of %s or \"*\")", n, allPermNames())
		}
		p |= q
	}
	return p, nil
}

func permByName(name string) (Perm, bool) {
	for _, pn := range permNames {
		if pn.name == name {
			return pn.perm, true
		}
	}
	return 0, false
}

func allPermNames() string {
	names := make([]string, len(permNames))
	for i, pn := range permNames {
		names[i] = pn.name
	}
	return strings.Join(names, ", ")
}

// Has reports whether p grants every permission in q.
func (p Perm) Has(q Perm) bool { return p&q == q }

// String lists the granted permissions by config name, comma-separated.
func (p Perm) String() string {
	var names []string
	for _, pn := range permNames {
		if p.Has(pn.perm) {
			names = append(names, pn.name)
		}
	}
	return strings.Join(names, ",")
}
