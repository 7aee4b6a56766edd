// Package usersfile edits the users_file in place for the operator
// console: it adds, changes and deletes one user at a time, keeping the
// rest of the file (other users, comments, key order, ${NAME}
// references), checks every change with the configuration loader before
// anything is written, detects concurrent edits by the file's hash, and
// replaces the file atomically. It never validates users itself: the
// loader is the one judge of what the server accepts.
package usersfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// maxFileSize bounds the files the configuration names (config.yaml,
// users_file, certificates): a misconfigured path such as /dev/zero must
// fail, not hang.
const maxFileSize = 16 << 20

// Errors an edit returns besides *InvalidError and *ApplyError.
var (
	// ErrNoVersion: the edit did not say which version it changes.
	ErrNoVersion = errors.New("send If-Match with the ETag of the users_file you read")
	// ErrStale: the file changed since that version was read (through
	// the console or by hand).
	ErrStale = errors.New("the users_file changed since you read it; read it again and redo the change")
	// ErrNotFound: no user of that name is in the users_file.
	ErrNotFound = errors.New("no such user in the users_file")
)

// Problem is one thing the loader refuses in a proposed file.
type Problem struct {
	// Key is the key at fault as check-config names it ("users.3.prefix").
	Key string `json:"key,omitempty"`
	// Field is the same key inside the user being edited ("prefix"), when
	// the problem is in that user.
	Field string `json:"field,omitempty"`
	Line  int    `json:"line,omitempty"`
	// Message is check-config's line for it.
	Message string `json:"message"`
}

// InvalidError lists every problem of a refused edit; nothing was written.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "the change is invalid: " + strings.Join(msgs, "; ")
}

// ApplyError: the file was written but could not be put in force; the
// server keeps the users it had, as after a failed reload.
type ApplyError struct{ Err error }

func (e *ApplyError) Error() string {
	return "the users_file was written but the reload failed (the previous users stay in force): " + e.Err.Error()
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Editor edits the users_file at Path. Its methods are safe for
// concurrent use; edits are applied one at a time.
type Editor struct {
	Path string
	// Decode reads file content into users as the loader does (${NAME}
	// expanded, unknown keys refused), without validating them.
	Decode func(data []byte) ([]mapping.UserConfig, error)
	// Validate says what the loader would say of the whole configuration
	// with candidate as the users_file: nil when it accepts it, else its
	// errors (several joined with errors.Join), each with an
	// At() (key string, line int) method where it concerns one key.
	Validate func(candidate []byte) error
	// Apply puts the file just written in force, as a reload does.
	Apply func() error

	mu sync.Mutex
}

// Snapshot is the users_file as read, with its version.
type Snapshot struct {
	// ETag is the version: the quoted SHA-256 of the file's bytes, so a
	// change by hand is a new version too.
	ETag  string
	Users []mapping.UserConfig
}

// Read returns the users in the file and its version. When the file
// cannot be decoded (broken by hand), the version is still returned with
// the error: an edit sent with it then reports the file's problems.
func (e *Editor) Read() (Snapshot, error) {
	data, err := ReadFile(e.Path)
	if err != nil {
		return Snapshot{}, err
	}
	users, err := e.Decode(data)
	return Snapshot{ETag: etagOf(data), Users: users}, err
}

// Add appends u to the file and returns the new version.
func (e *Editor) Add(ifMatch string, u mapping.UserConfig) (string, error) {
	return e.update(ifMatch, func(d *document, _ []mapping.UserConfig) (int, []Problem, error) {
		item, probs := newUserNode(u, len(d.list.Content))
		d.list.Content = append(d.list.Content, item)
		return len(d.list.Content) - 1, probs, nil
	})
}

// Change replaces the user name with what edit makes of its current
// definition. Keys whose value edit leaves alone keep their text in the
// file (comments, ${NAME} references).
func (e *Editor) Change(ifMatch, name string, edit func(mapping.UserConfig) (mapping.UserConfig, error)) (string, error) {
	return e.update(ifMatch, func(d *document, users []mapping.UserConfig) (int, []Problem, error) {
		i := indexOf(users, name)
		if i < 0 {
			return -1, nil, ErrNotFound
		}
		next, err := edit(users[i])
		if err != nil {
			return -1, nil, err
		}
		return i, mergeUser(d.list.Content[i], users[i], next, i), nil
	})
}

// Delete removes the user name from the file.
func (e *Editor) Delete(ifMatch, name string) (string, error) {
	return e.update(ifMatch, func(d *document, users []mapping.UserConfig) (int, []Problem, error) {
		i := indexOf(users, name)
		if i < 0 {
			return -1, nil, ErrNotFound
		}
		d.list.Content = append(d.list.Content[:i], d.list.Content[i+1:]...)
		return -1, nil, nil
	})
}

// update runs one edit: check the version, edit the parsed file, check
// the result with the loader, write it, put it in force. change edits
// the document and returns the index of the user it concerns (-1: none)
// and any problems of its own, or an error that stops the edit.
func (e *Editor) update(ifMatch string, change func(*document, []mapping.UserConfig) (int, []Problem, error)) (string, error) {
	if ifMatch == "" || ifMatch == "*" {
		return "", ErrNoVersion
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	data, err := ReadFile(e.Path)
	if err != nil {
		return "", err
	}
	if etagOf(data) != ifMatch {
		return "", ErrStale
	}
	users, err := e.Decode(data)
	if err != nil {
		// The file as it stands is broken (edited by hand): say what the
		// loader says, and let the operator fix it first.
		return "", e.invalid(data, err, -1)
	}
	doc, err := parseDocument(data)
	if err != nil {
		return "", e.invalid(data, err, -1)
	}
	if len(doc.list.Content) != len(users) {
		return "", fmt.Errorf("users_file: %d entries parsed but %d users decoded", len(doc.list.Content), len(users))
	}
	idx, own, err := change(doc, users)
	if err != nil {
		return "", err
	}
	candidate, err := doc.encode()
	if err != nil {
		return "", err
	}
	probs := append(own, problemsOf(e.Validate(candidate))...)
	if len(probs) > 0 {
		return "", &InvalidError{Problems: withFields(probs, idx)}
	}
	if err := writeAtomic(e.Path, candidate, data); err != nil {
		return "", err
	}
	if err := e.Apply(); err != nil {
		return etagOf(candidate), &ApplyError{Err: err}
	}
	return etagOf(candidate), nil
}

// invalid reports a file that does not load as it is.
func (e *Editor) invalid(data []byte, err error, idx int) error {
	probs := problemsOf(e.Validate(data))
	if len(probs) == 0 {
		probs = []Problem{{Message: err.Error()}}
	}
	return &InvalidError{Problems: withFields(probs, idx)}
}

// problemsOf lists the loader's errors in err, one problem each.
func problemsOf(err error) []Problem {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []Problem
		for _, e := range j.Unwrap() {
			out = append(out, problemsOf(e)...)
		}
		return out
	}
	p := Problem{Message: err.Error()}
	var at interface{ At() (string, int) }
	if errors.As(err, &at) {
		p.Key, p.Line = at.At()
	}
	return []Problem{p}
}

// withFields sets Field on the problems of user idx.
func withFields(probs []Problem, idx int) []Problem {
	if idx < 0 {
		return probs
	}
	prefix := "users." + strconv.Itoa(idx) + "."
	for i, p := range probs {
		if f, ok := strings.CutPrefix(p.Key, prefix); ok {
			probs[i].Field = f
		}
	}
	return probs
}

func indexOf(users []mapping.UserConfig, name string) int {
	for i, u := range users {
		if u.Name == name {
			return i
		}
	}
	return -1
}

func etagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// ReadFile reads a regular file of at most maxFileSize bytes, looking
// before it opens (opening a FIFO would block). The loader reads every
// configuration file with it, so that the editor's version of a
// users_file is taken over exactly the bytes the loader judged.
func ReadFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxFileSize>>20)
	}
	return data, nil
}
