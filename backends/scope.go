package backends

import (
	"context"
	"sync"
)

// A client command often asks the store the same question twice: CWD
// checks that a directory exists and then describes it, RETR stats the
// file and then opens it. Over an object store each question is a round
// trip, so the front end gives each session's context a Memo, which
// drivers fill with answers, and resets it before each command: nothing
// outlives the command, and no session ever sees another's answers.

type memoKey struct{}

// Memo holds one command's remembered answers, keyed by the driver.
type Memo struct{ m sync.Map }

// CommandScope returns ctx carrying a fresh Memo.
func CommandScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &Memo{})
}

// MemoFrom returns the Memo of ctx's command, or nil outside a command
// scope (then drivers simply ask the store).
func MemoFrom(ctx context.Context) *Memo {
	m, _ := ctx.Value(memoKey{}).(*Memo)
	return m
}

// Load returns the value stored for key.
func (m *Memo) Load(key any) (any, bool) {
	if m == nil {
		return nil, false
	}
	return m.m.Load(key)
}

// Store remembers value for key.
func (m *Memo) Store(key, value any) {
	if m != nil {
		m.m.Store(key, value)
	}
}

// Reset forgets everything: the front end calls it when a session moves
// on to its next command.
func (m *Memo) Reset() {
	if m != nil {
		m.m.Clear()
	}
}
