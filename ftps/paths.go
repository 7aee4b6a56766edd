package ftps

import (
	"path"
	"strings"
)

// cleanPath makes p an absolute, clean virtual path. ".." never climbs
// above "/". This is convenience, not the security boundary: the
// FileSystem confines every path again.
func cleanPath(p string) string {
	return path.Clean("/" + p)
}

// abs resolves a client's path argument against the working directory.
func (s *session) abs(arg string) string {
	if strings.HasPrefix(arg, "/") {
		return cleanPath(arg)
	}
	return cleanPath(s.cwd + "/" + arg)
}

// quotePath formats a path for a 257 reply: enclosed in double quotes,
// embedded quotes doubled (RFC 959 appendix II).
func quotePath(p string) string {
	return `"` + strings.ReplaceAll(sanitize(p), `"`, `""`) + `"`
}
