package ftps

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// FileSystem is what one logged-in session sees: a tree of virtual paths.
// Paths passed in are absolute, slash-separated and cleaned by the session
// ("/", "/inbound/a.csv"); the implementation (package mapping) still treats
// them as hostile, confines them to the user's storage and checks the
// user's permissions, returning backends.ErrPermission when denied.
type FileSystem interface {
	Stat(ctx context.Context, path string) (backends.Entry, error)
	List(ctx context.Context, path string) (backends.Lister, error)
	// Open reads path from offset; the Reader tells the file's size, so
	// a REST past the end needs no Stat first.
	Open(ctx context.Context, path string, offset int64) (backends.Reader, error)
	// Create starts a staged upload to path. With offset > 0 (REST before
	// STOR, or APPE with offset = current size) the first offset bytes of
	// the existing file are kept and the client's data follows them.
	// opts carry the uploader and the digests to record.
	Create(ctx context.Context, path string, offset int64, opts backends.CreateOptions) (backends.Writer, error)
	Delete(ctx context.Context, path string) error
	Rename(ctx context.Context, from, to string) error
	Mkdir(ctx context.Context, path string) error
	Rmdir(ctx context.Context, path string) error
	// Home is the directory a session starts in.
	Home() string
}

// LoginInfo is what the front end knows about a client when it logs in.
type LoginInfo struct {
	User       string
	Password   string
	RemoteAddr net.Addr
	// PeerCertificates holds the verified client certificate chain, if the
	// client presented one on the control connection.
	PeerCertificates []*x509.Certificate
	// Listener is the listener's TLS mode (explicit, implicit, none) and
	// TLS whether the control connection is secured, for an identity
	// provider.
	Listener string
	TLS      bool
}

// ClientIP is the client's address without its port, an IPv4-mapped
// address in IPv4 form; the zero Addr if RemoteAddr is nil.
func (i LoginInfo) ClientIP() netip.Addr { return addrOf(i.RemoteAddr) }

// Errors an Authenticator may return that have a reply of their own. A
// FileSystem's errors are the storage vocabulary of package backends,
// including its refinements (backends.ErrFileTooLarge: 552,
// backends.ErrCrossMount: 550), all mapped to replies in replies.go.
var (
	// ErrSessionLimit is returned by Login when the credentials are good
	// but the user already has as many sessions as allowed: 530, and it
	// does not count as a failed login.
	ErrSessionLimit = errors.New("too many sessions for this user")
	// ErrBusy is returned by Login when the credentials could not be
	// checked in time (the password checks are queued): 421, and it does
	// not count as a failed login, since the password may well be right.
	ErrBusy = errors.New("login could not be checked in time")
	// ErrAuthUnavailable is returned by Login when the identity provider
	// could not give a usable answer (timeout, 5xx, invalid answer): 421,
	// not a failed login.
	ErrAuthUnavailable = errors.New("identity provider unavailable")
)

// Revocable is implemented by a FileSystem whose login can be withdrawn
// while the session is open: the user was removed, disabled or expired,
// or their credentials changed, by a configuration reload. The front end
// asks before every command and, on an error, answers 421 and closes.
//
// A FileSystem that implements io.Closer is closed when its session ends
// (on QUIT, disconnect, or a new AUTH that resets the login).
type Revocable interface {
	Authorized() error
}

// Authenticator checks credentials and opens the user's FileSystem.
// Login must take the same time whether or not the user exists, and must
// return backends.ErrPermission for bad credentials.
type Authenticator interface {
	Login(ctx context.Context, info LoginInfo) (FileSystem, error)
	// PasswordRequired reports whether user must send PASS after USER, given
	// the certificate presented (false for certificate-only accounts).
	PasswordRequired(user string, certs []*x509.Certificate) bool
}

// Permissions says what the user may do at a path. The front end uses it
// only to report the MLSD/MLST perm fact truthfully; the FileSystem still
// enforces every permission itself.
type Permissions struct {
	List, Download, Upload, Overwrite, Delete, Rename, Mkdir bool
}

// FileDescriber is implemented by a FileSystem that keeps metadata with
// files (recorded digests, for HASH).
type FileDescriber interface {
	Describe(ctx context.Context, path string) (backends.FileInfo, error)
}

// FileToucher is implemented by a FileSystem whose files' modification
// times can be set (MFMT, SITE UTIME).
type FileToucher interface {
	SetModTime(ctx context.Context, path string, t time.Time) error
}

// PermissionReporter is implemented by a FileSystem that can say what the
// user may do at a path. Without it, MLSx reports every permission.
type PermissionReporter interface {
	Permissions(path string) Permissions
}
