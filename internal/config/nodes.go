package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// nodeError is an *Error at node n, in a file not named yet: positioned
// names it.
func nodeError(n *yaml.Node, msg string) *Error {
	return &Error{Line: n.Line, Column: n.Column, Msg: msg}
}

// positioned names file in every *Error of err (one, or several joined);
// an error without a position is about the file as a whole.
func positioned(file string, err error) error {
	var out []error
	for _, leaf := range fielderr.Leaves(err) {
		located := &Error{File: file, Msg: leaf.Error()}
		var e *Error
		if errors.As(leaf, &e) {
			located = &Error{File: file, Line: e.Line, Column: e.Column, Msg: e.Msg}
		}
		out = append(out, located)
	}
	return errors.Join(out...)
}

// yamlMessage shortens yaml.v3's errors, which already carry "line N".
func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in every scalar value with the environment
// variable NAME, so secrets need not sit in the file. An unset variable is
// an error: silently empty credentials would fail later and obscurely.
func expandEnv(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := os.LookupEnv(name)
			if !ok && missing == "" {
				missing = name
			}
			return v
		})
		if missing != "" {
			return nodeError(n, fmt.Sprintf("environment variable %s is not set", missing))
		}
		// A quoted "${PORT}" stays a string; an unquoted one takes the
		// type of its value, as if written in place.
		if n.Style == 0 {
			n.Tag = ""
		}
	}
	for _, c := range n.Content {
		if err := expandEnv(c); err != nil {
			return err
		}
	}
	return nil
}

// checkKnown reports every mapping key that the target type t does not
// declare, each with its position: a misspelt key must not be silently
// ignored.
func checkKnown(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(yaml.Node{}) || n.Kind == yaml.AliasNode {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Tag == "!!null" {
				return nil
			}
			return nodeError(n, fmt.Sprintf("%s: expected a mapping", strings.TrimPrefix(path, ".")))
		}
		fields := yamlFields(t)
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				errs = append(errs, nodeError(key, fmt.Sprintf("unknown key %q in %s", key.Value, sectionName(path))))
				continue
			}
			errs = append(errs, checkKnown(val, ft, path+"."+key.Value))
		}
		return errors.Join(errs...)
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			var errs []error
			for i, c := range n.Content {
				errs = append(errs, checkKnown(c, t.Elem(), path+"."+strconv.Itoa(i)))
			}
			return errors.Join(errs...)
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			var errs []error
			for i := 1; i < len(n.Content); i += 2 {
				errs = append(errs, checkKnown(n.Content[i], t.Elem(), path+"."+n.Content[i-1].Value))
			}
			return errors.Join(errs...)
		}
	}
	return nil
}

func sectionName(path string) string {
	if path == "" {
		return "the top level"
	}
	return strings.TrimPrefix(path, ".")
}

// yamlFields maps the yaml key names of struct t (including ",inline"
// embedded structs) to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// posOf finds the line and column of a dotted field path ("users.2.prefix",
// "backends.1.part_size") in the document: of its key in a mapping, of the
// element in a sequence, falling back to the nearest existing parent.
func posOf(root *yaml.Node, field string) (line, col int) {
	n := root
	line, col = root.Line, root.Column
	if field == "" {
		return line, col
	}
	for _, part := range strings.Split(field, ".") {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					next = n.Content[i+1]
					line, col = n.Content[i].Line, n.Content[i].Column
					break
				}
			}
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(part); err == nil && idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
				line, col = next.Line, next.Column
			}
		}
		if next == nil {
			return line, col
		}
		n = next
	}
	return line, col
}
