package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchSettle is how long the users_file's directory must be quiet
// before the file is read: editors and `kubectl apply` write in several
// steps, and a half-written file would only fail validation.
const watchSettle = 250 * time.Millisecond

// watchUsersFile signals changed when the content of the users file at
// path differs from what it was at the last signal (or at the start).
//
// It watches the directory, not the file: editors replace a file by
// renaming a new one over it, and a Kubernetes ConfigMap volume swaps
// its `..data` symlink, so a watch on the file itself would go on
// watching an inode nobody reads any more. Comparing content keeps
// unrelated changes in the directory from reloading anything.
func watchUsersFile(ctx context.Context, path string, changed chan<- struct{}, log *slog.Logger) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return err
	}
	last := fileSum(path)
	go func() {
		defer w.Close()
		var settle <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				settle = time.After(watchSettle)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("watching users_file", "users_file", path, "err", err)
			case <-settle:
				settle = nil
				sum := fileSum(path)
				if sum == nil || bytes.Equal(sum, last) {
					continue // unreadable mid-swap, or unchanged
				}
				last = sum
				select {
				case changed <- struct{}{}:
				default: // a reload is already pending
				}
			}
		}
	}()
	return nil
}

// fileSum is the SHA-256 of the file's content, nil if it cannot be read.
func fileSum(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(data)
	return sum[:]
}
