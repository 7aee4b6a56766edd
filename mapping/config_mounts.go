package mapping

import (
	"fmt"
	"slices"
	"strings"
)

// parsedMount is a validated MountConfig.
type parsedMount struct {
	path    string
	backend string
	bucket  string
	prefix  string
	perm    Perm
	key     string // the config key it came from: "mounts.1" or "" for the shorthand
	// storageOK: backend and prefix are valid, so storage overlap with
	// other mounts can be judged.
	storageOK bool
}

// fieldOf names a key of the mount in error messages.
func (m parsedMount) fieldOf(key string) string {
	if m.key == "" {
		return key
	}
	return m.key + "." + key
}

// parseMounts returns the user's mounts: the mounts list, or the shorthand
// keys as a single mount at "/". Mount paths must not contain one another,
// and two mounts must not reach the same objects: either would make one
// object reachable under two sets of permissions.
func parseMounts(probs *problems, u UserConfig, backendNames []string) []parsedMount {
	if len(u.Mounts) == 0 {
		m, pathOK := parseMount(probs, "", MountConfig{Path: "/", Backend: u.Backend, Bucket: u.Bucket,
			Prefix: u.Prefix, Permissions: u.Permissions}, backendNames)
		if !pathOK {
			return nil
		}
		return []parsedMount{m}
	}
	for _, sh := range []struct {
		key string
		set bool
	}{
		{"backend", u.Backend != ""}, {"bucket", u.Bucket != ""}, {"prefix", u.Prefix != ""},
		{"permissions", len(u.Permissions) > 0},
	} {
		if sh.set {
			probs.add(sh.key, "cannot be combined with mounts: give each mount its own %s", sh.key)
		}
	}
	var mounts []parsedMount
	for j, mc := range u.Mounts {
		m, pathOK := parseMount(probs, fmt.Sprintf("mounts.%d", j), mc, backendNames)
		if !pathOK {
			continue
		}
		for _, other := range mounts {
			checkOverlap(probs, other, m)
		}
		mounts = append(mounts, m)
	}
	return mounts
}

// parseMount validates one mount. pathOK reports whether its path is
// valid, so that overlaps with other mounts can still be judged when
// something else about it is wrong.
func parseMount(probs *problems, key string, mc MountConfig, backendNames []string) (m parsedMount, pathOK bool) {
	m = parsedMount{backend: mc.Backend, bucket: mc.Bucket, key: key, storageOK: true}
	var err error
	if m.path, err = checkVirtualPath(mc.Path); err != nil {
		probs.add(m.fieldOf("path"), "%v", err)
	}
	if !slices.Contains(backendNames, mc.Backend) {
		probs.add(m.fieldOf("backend"), "unknown backend %q (configured: %s)", mc.Backend, strings.Join(backendNames, ", "))
		m.storageOK = false
	}
	if m.prefix, err = NormalizePrefix(mc.Prefix); err != nil {
		probs.add(m.fieldOf("prefix"), "must be a relative slash-separated key prefix without \".\", \"..\" or empty elements: %v", err)
		m.storageOK = false
	}
	m.perm = parsePerms(probs, m.fieldOf("permissions"), mc.Permissions)
	return m, m.path != ""
}

// checkOverlap reports m if its path, or its storage, overlaps an earlier
// mount's.
func checkOverlap(probs *problems, earlier, m parsedMount) {
	switch {
	case earlier.path == m.path:
		probs.add(m.fieldOf("path"), "mount path %q is also %s.path", m.path, earlier.key)
	case isAncestor(earlier.path, m.path) || isAncestor(m.path, earlier.path):
		probs.add(m.fieldOf("path"), "mount path %q overlaps %s.path %q: mount paths must not contain one another",
			m.path, earlier.key, earlier.path)
	case earlier.storageOK && m.storageOK && earlier.backend == m.backend && earlier.bucket == m.bucket &&
		(inPrefix(m.prefix, earlier.prefix) || inPrefix(earlier.prefix, m.prefix)):
		probs.add(m.fieldOf("prefix"), "prefix %q overlaps %s.prefix %q in the same bucket: "+
			"the same objects would be reachable through two mounts", m.prefix, earlier.key, earlier.prefix)
	}
}
