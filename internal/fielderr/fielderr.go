// Package fielderr carries configuration errors that name the offending key,
// so the loader can point operators at the file, line and column that
// caused them. Every section (the server's, each driver's, the users') says
// what is wrong in these terms and nothing else: the loader alone knows
// where a section sits in the file and turns the key into a position.
package fielderr

import (
	"errors"
	"fmt"
)

// Error names a configuration key by its dotted path ("users.2.prefix",
// "listeners.0.tls", or "part_size" inside a driver's section) and says
// what is wrong with it.
type Error struct {
	Field  string
	Reason string
	// Kind, when set, classifies the problem for errors.Is: a driver's
	// settings wrap backends.ErrInvalid, so that a caller of the driver's
	// New learns the kind without parsing text.
	Kind error
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Kind }

// New returns an *Error for field with a formatted reason.
func New(field, format string, args ...any) error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Within names every problem in err (one *Error, or several joined) as a
// key below prefix: "part_size" in the section at "backends.2" becomes
// "backends.2.part_size". An error that names no key is taken to be about
// the section as a whole. A nil err stays nil.
func Within(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, leaf := range Leaves(err) {
		var fe *Error
		if !errors.As(leaf, &fe) {
			out = append(out, &Error{Field: prefix, Reason: leaf.Error(), Kind: leaf})
			continue
		}
		moved := *fe
		moved.Field = join(prefix, fe.Field)
		out = append(out, &moved)
	}
	return errors.Join(out...)
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// Leaves flattens err, one error or several joined with errors.Join (at
// any depth), into the errors it is made of.
func Leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// List collects every problem of one section, so that an operator sees all
// of them at once rather than one per attempt.
type List struct {
	// Kind, when set, is what every problem added wraps (see Error.Kind).
	Kind error
	errs []error
}

// Add records a problem with key field.
func (l *List) Add(field, format string, args ...any) {
	l.errs = append(l.errs, &Error{Field: field, Reason: fmt.Sprintf(format, args...), Kind: l.Kind})
}

// Include records the problems of a nested section (nil for none), its keys
// below prefix ("" for a section inlined at the same level).
func (l *List) Include(prefix string, err error) {
	if err = Within(prefix, err); err != nil {
		l.errs = append(l.errs, err)
	}
}

// Err returns every problem recorded, joined, or nil if there is none.
func (l *List) Err() error { return errors.Join(l.errs...) }
