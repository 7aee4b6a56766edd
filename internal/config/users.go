package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// usersFileLayout is the optional mapping form of a users file; the plain
// form is the list itself, as under users: in config.yaml.
type usersFileLayout struct {
	Users []mapping.UserConfig `yaml:"users"`
}

// usersSource remembers where the users from users_file came from, so
// their errors point into that file.
type usersSource struct {
	file  string
	first int        // index in Config.Users of the file's first user
	root  *yaml.Node // a mapping whose "users" key holds the file's list
}

// ParseUsersFile decodes the content of a users file as the loader
// does (${NAME} expanded, unknown keys refused), without validating the
// users; path is used in error messages.
func ParseUsersFile(path string, data []byte) ([]mapping.UserConfig, error) {
	users, _, err := loadUsersFile(path, func(string) ([]byte, error) { return data, nil })
	return users, err
}

// loadUsersFile reads a users file with read: a YAML list of users, or a
// mapping with the single key users. It applies ${NAME} expansion and
// rejects unknown keys, like the main file.
func loadUsersFile(path string, read func(string) ([]byte, error)) ([]mapping.UserConfig, *yaml.Node, error) {
	data, err := read(path)
	if err != nil {
		return nil, nil, err
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); errors.Is(err, io.EOF) {
		return nil, usersRoot(&yaml.Node{Kind: yaml.SequenceNode}), nil // empty: no users
	} else if err != nil {
		return nil, nil, &Error{File: path, Msg: yamlMessage(err)}
	}
	if len(doc.Content) == 0 {
		return nil, usersRoot(&yaml.Node{Kind: yaml.SequenceNode}), nil
	}
	top := doc.Content[0]
	if err := expandEnv(top); err != nil {
		return nil, nil, positioned(path, err)
	}
	list := top
	switch top.Kind {
	case yaml.MappingNode:
		if err := checkKnown(top, reflect.TypeOf(usersFileLayout{}), ""); err != nil {
			return nil, nil, positioned(path, err)
		}
		list = valueOf(top, "users")
		if list == nil {
			return nil, usersRoot(&yaml.Node{Kind: yaml.SequenceNode}), nil
		}
	case yaml.SequenceNode:
	default:
		if top.Tag == "!!null" {
			return nil, usersRoot(&yaml.Node{Kind: yaml.SequenceNode}), nil
		}
		return nil, nil, &Error{File: path, Line: top.Line, Msg: "want a list of users (the same entries as users: in the configuration)"}
	}
	if err := checkKnown(list, reflect.TypeOf([]mapping.UserConfig{}), "users"); err != nil {
		return nil, nil, positioned(path, err)
	}
	var users []mapping.UserConfig
	if err := list.Decode(&users); err != nil {
		return nil, nil, &Error{File: path, Msg: yamlMessage(err)}
	}
	return users, usersRoot(list), nil
}

// usersRoot wraps a users list in a mapping under "users", so that
// posOf finds "users.2.prefix" in it as in the main file.
func usersRoot(list *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "users"}, list,
	}}
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// locate turns the field errors in err (one, or several joined) into
// file:line errors, each in the file its key came from.
func (c *Config) locate(err error) error {
	var located []*Error
	for _, e := range fielderr.Leaves(err) {
		located = append(located, c.locateOne(e))
	}
	// In file and line order, as an operator fixes them.
	slices.SortStableFunc(located, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	out := make([]error, len(located))
	for i, e := range located {
		out[i] = e
	}
	return errors.Join(out...)
}

func (c *Config) locateOne(err error) *Error {
	var fe *fielderr.Error
	if !errors.As(err, &fe) {
		return &Error{File: c.file, Msg: err.Error()}
	}
	if src := c.usersFrom; src != nil {
		if rest, ok := strings.CutPrefix(fe.Field, "users."); ok {
			idx, tail, _ := strings.Cut(rest, ".")
			if n, err := strconv.Atoi(idx); err == nil && n >= src.first {
				f := fmt.Sprintf("users.%d", n-src.first)
				if tail != "" {
					f += "." + tail
				}
				line, col := posOf(src.root, f)
				return &Error{File: src.file, Line: line, Column: col, Key: f, Msg: f + ": " + fe.Reason}
			}
		}
	}
	line, col := posOf(c.root, fe.Field)
	return &Error{File: c.file, Line: line, Column: col, Key: fe.Field, Msg: fe.Error()}
}
