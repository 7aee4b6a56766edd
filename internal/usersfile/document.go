package usersfile

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// document is a users file parsed as YAML nodes, so that an edit touches
// only the entries and keys it changes: comments, key order and quoting
// of the rest survive (yaml.v3 re-indents the file to two spaces).
type document struct {
	root *yaml.Node // the document node
	list *yaml.Node // the sequence of users, in either form of the file
}

// parseDocument parses a users file in either of the loader's forms: a
// list of users, or a mapping whose users key holds the list. An empty
// file becomes an empty list.
func parseDocument(data []byte) (*document, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		return &document{root: &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{list}}, list: list}, nil
	}
	top := root.Content[0]
	switch {
	case top.Kind == yaml.SequenceNode:
		return &document{root: &root, list: top}, nil
	case top.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == "users" {
				v := top.Content[i+1]
				if v.Kind != yaml.SequenceNode { // users: (null)
					*v = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", HeadComment: v.HeadComment, LineComment: v.LineComment}
				}
				return &document{root: &root, list: v}, nil
			}
		}
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "users"}, list)
		return &document{root: &root, list: list}, nil
	case top.Kind == yaml.ScalarNode && top.Tag == "!!null":
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", HeadComment: top.HeadComment}
		root.Content[0] = list
		return &document{root: &root, list: list}, nil
	}
	return nil, fmt.Errorf("line %d: want a list of users", top.Line)
}

func (d *document) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d.root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// userFields are the yaml keys of a user, in the order of UserConfig,
// which is the order a new entry gets.
var userFields = yamlFields(reflect.TypeOf(mapping.UserConfig{}))

type yamlField struct {
	key   string
	index int
}

func yamlFields(t reflect.Type) []yamlField {
	var out []yamlField
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, yamlField{key: name, index: i})
		}
	}
	return out
}

// newUserNode is the entry for a new user i: its set keys only.
func newUserNode(u mapping.UserConfig, i int) (*yaml.Node, []Problem) {
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	v := reflect.ValueOf(u)
	var probs []Problem
	for _, f := range userFields {
		fv := v.Field(f.index)
		if isEmpty(fv) {
			continue
		}
		val := valueNode(fv)
		probs = append(probs, noReferences(val, i, f.key)...)
		item.Content = append(item.Content, keyNode(f.key), val)
	}
	return item, probs
}

// mergeUser changes entry item of user i from old to next, key by key:
// a key whose value is the same keeps its node (its text, comments and
// ${NAME} references); a changed one gets a new value; an emptied one is
// removed; a new one is appended.
func mergeUser(item *yaml.Node, old, next mapping.UserConfig, i int) []Problem {
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(next)
	var probs []Problem
	for _, f := range userFields {
		a, b := ov.Field(f.index), nv.Field(f.index)
		if same(a, b) {
			continue
		}
		at := keyIndex(item, f.key)
		if isEmpty(b) {
			if at >= 0 {
				item.Content = append(item.Content[:at], item.Content[at+2:]...)
			}
			continue
		}
		val := valueNode(b)
		probs = append(probs, noReferences(val, i, f.key)...)
		if at >= 0 {
			prev := item.Content[at+1]
			val.LineComment, val.FootComment = prev.LineComment, prev.FootComment
			item.Content[at+1] = val
		} else {
			item.Content = append(item.Content, keyNode(f.key), val)
		}
	}
	return probs
}

// noReferences refuses ${NAME} in values the console writes: the loader
// would replace it with the server's environment (where its secrets
// are), and the console would then show it.
func noReferences(n *yaml.Node, i int, key string) []Problem {
	var probs []Problem
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
			k := fmt.Sprintf("users.%d.%s", i, key)
			probs = append(probs, Problem{Key: k, Message: k + `: "${" is not accepted through the console (the loader would expand an environment variable there); edit the file by hand for that`})
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return probs
}

func keyIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func keyNode(key string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
}

// valueNode encodes v with its empty struct fields left out, so a mount
// reads as it would be written by hand.
func valueNode(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Struct:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, f := range yamlFields(v.Type()) {
			fv := v.Field(f.index)
			if !isEmpty(fv) {
				m.Content = append(m.Content, keyNode(f.key), valueNode(fv))
			}
		}
		return m
	case reflect.Slice:
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for j := range v.Len() {
			s.Content = append(s.Content, valueNode(v.Index(j)))
		}
		return s
	}
	var n yaml.Node
	if err := n.Encode(v.Interface()); err != nil {
		// Only strings, numbers and booleans get here.
		panic(fmt.Sprintf("usersfile: encoding %v: %v", v.Type(), err))
	}
	return &n
}

func isEmpty(v reflect.Value) bool {
	if v.Kind() == reflect.Slice {
		return v.Len() == 0
	}
	return v.IsZero()
}

// same compares two values of a field, nil and empty lists alike.
func same(a, b reflect.Value) bool {
	if isEmpty(a) && isEmpty(b) {
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
