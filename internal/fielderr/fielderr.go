// Package fielderr carries configuration errors that name the offending key,
// so the loader can point operators at the file and line that caused them.
package fielderr

import "fmt"

// Error names a configuration key by its dotted path ("users.2.prefix",
// "listeners.0.tls") and says what is wrong with it.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return e.Field + ": " + e.Reason }

// New returns an *Error for field with a formatted reason.
func New(field, format string, args ...any) error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}
