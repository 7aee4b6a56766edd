package objstore

import "os"

// KeptFile is a file a driver's configuration names (a CA bundle, a key
// file) as the driver's Validate read it. The bytes are kept, so that the
// driver uses what was checked and reads the file once: a file changed or
// removed later changes nothing. KeptFiles compare equal (with == and
// reflect.DeepEqual) when they hold the same path and bytes, which is how
// a reload tells that a backend's files changed; so the bytes are held as
// a string, which also keeps the driver's Config comparable.
type KeptFile struct {
	path string
	data string
}

// Load reads path, unless f holds that path already, and keeps its bytes
// if check accepts them.
func (f *KeptFile) Load(path string, check func(data []byte) error) error {
	if f.path != "" && f.path == path {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := check(data); err != nil {
		return err
	}
	*f = KeptFile{path: path, data: string(data)}
	return nil
}

// Bytes returns the bytes Load kept, nil if it kept none.
func (f *KeptFile) Bytes() []byte {
	if f.path == "" {
		return nil
	}
	return []byte(f.data)
}
