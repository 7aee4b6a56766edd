package events

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// spool keeps a down target's events on disk, one file per event named
// by a sequence number, so that order survives and a restart loses
// nothing. Each file is written to a temporary name, fsynced, renamed and
// the directory fsynced: a crash leaves a whole event or none.
type spool struct {
	dir string
	max int // -1: no spool

	mu    sync.Mutex
	names []string // oldest first
	next  uint64
}

var errSpoolFull = errors.New("event spool full")

const spoolExt = ".json"

// openSpool reads dir (creating it), dropping leftovers of interrupted
// writes.
func openSpool(dir string, max int) (*spool, error) {
	s := &spool{dir: dir, max: max}
	if max < 0 {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, spoolExt), 10, 64)
		if err != nil || !strings.HasSuffix(name, spoolExt) {
			continue // not ours
		}
		s.names = append(s.names, name)
		s.next = max64(s.next, seq+1)
	}
	slices.Sort(s.names) // zero-padded: lexical order is numeric order
	return s, nil
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func (s *spool) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.names)
}

// put stores body after every event already spooled.
func (s *spool) put(body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max < 0 || len(s.names) >= s.max {
		return errSpoolFull
	}
	name := fmt.Sprintf("%020d%s", s.next, spoolExt)
	if err := writeSynced(s.dir, name, body); err != nil {
		return err
	}
	s.next++
	s.names = append(s.names, name)
	return nil
}

func writeSynced(dir, name string, body []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// oldest returns the first spooled event's name and body.
func (s *spool) oldest() (string, []byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.names) == 0 {
		return "", nil, false, nil
	}
	body, err := os.ReadFile(filepath.Join(s.dir, s.names[0]))
	return s.names[0], body, true, err
}

// remove deletes a delivered (or unreadable) event.
func (s *spool) remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.names, name); i >= 0 {
		s.names = slices.Delete(s.names, i, i+1)
	}
	err := os.Remove(filepath.Join(s.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	return err
}
