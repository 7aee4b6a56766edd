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
)

// posError is an error found at a line of the file.
type posError struct {
	line int
	msg  string
}

func (e *posError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func positioned(file string, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return &Error{File: file, Line: pe.line, Msg: pe.msg}
	}
	return &Error{File: file, Msg: err.Error()}
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
			return &posError{n.Line, fmt.Sprintf("environment variable %s is not set", missing)}
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

// checkKnown reports the first mapping key that the target type t does
// not declare, with its line: a misspelt key must not be silently ignored.
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
			return &posError{n.Line, fmt.Sprintf("%s: expected a mapping", strings.TrimPrefix(path, "."))}
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				return &posError{key.Line, fmt.Sprintf("unknown key %q in %s", key.Value, sectionName(path))}
			}
			if err := checkKnown(val, ft, path+"."+key.Value); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				if err := checkKnown(c, t.Elem(), path+"."+strconv.Itoa(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := checkKnown(n.Content[i], t.Elem(), path+"."+n.Content[i-1].Value); err != nil {
					return err
				}
			}
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

// lineOf finds the line of a dotted field path ("users.2.prefix") in the
// document, falling back to the nearest existing parent.
func lineOf(root *yaml.Node, field string) int {
	n := root
	line := root.Line
	for _, part := range strings.Split(field, ".") {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					next = n.Content[i+1]
					line = n.Content[i].Line
					break
				}
			}
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(part); err == nil && idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}
