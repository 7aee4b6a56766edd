package mapping

// Location is where a virtual path is stored: the backend's name in the
// configuration, the bucket (container) and the object key. It is for
// telling others (transfer events), never for reaching the storage.
type Location struct {
	Backend string `json:"backend"`
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
}

// Locate says where vpath is stored, or false when it lies outside
// every mount or is not a valid path.
func (s *Session) Locate(vpath string) (Location, bool) {
	t, err := s.resolve(vpath)
	if err != nil || t.mount == nil {
		return Location{}, false
	}
	loc := t.mount.Where
	loc.Key = joinKey(loc.Key, t.key)
	return loc, true
}
