// Package config loads config.yaml: strict YAML (an unknown key is an
// error naming its line), ${NAME} environment references, defaults, and
// validation whose errors point at file:line. It composes the sections
// each package owns (ftps, mapping, and one typed config per driver); it
// never interprets them itself.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// Config is the whole configuration file.
type Config struct {
	FTPS     ftps.Config
	Backends []Backend
	Users    []mapping.UserConfig

	file string
	root *yaml.Node
}

// Backend is one entry of backends: its name, type, and the driver's own
// typed configuration (a pointer such as *local.Config).
type Backend struct {
	Name   string
	Type   string
	Driver Validator
}

// Validator is implemented by every driver's configuration.
type Validator interface{ Validate() error }

// fileLayout is the top level of config.yaml. Backends are decoded per
// entry, by type, after the common keys are known.
type fileLayout struct {
	Server    ftps.ServerConfig     `yaml:"server"`
	Listeners []ftps.ListenerConfig `yaml:"listeners"`
	TLS       ftps.TLSConfig        `yaml:"tls"`
	Passive   ftps.PassiveConfig    `yaml:"passive"`
	Active    ftps.ActiveConfig     `yaml:"active"`
	Backends  []yaml.Node           `yaml:"backends"`
	Users     []mapping.UserConfig  `yaml:"users"`
}

// Error is a configuration error with its position.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses configuration text; name is used in error messages. It
// applies defaults and validates.
func Parse(name string, data []byte) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Msg: "empty configuration"}
	} else if err != nil {
		return nil, &Error{File: name, Msg: yamlMessage(err)}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: name, Msg: "empty configuration"}
	}
	root := doc.Content[0]
	if err := expandEnv(root); err != nil {
		return nil, positioned(name, err)
	}
	if err := checkKnown(root, reflect.TypeOf(fileLayout{}), ""); err != nil {
		return nil, positioned(name, err)
	}
	defaults := ftps.DefaultConfig()
	layout := fileLayout{
		Server: defaults.Server, TLS: defaults.TLS,
		Passive: defaults.Passive, Active: defaults.Active,
	}
	if err := root.Decode(&layout); err != nil {
		return nil, &Error{File: name, Msg: yamlMessage(err)}
	}
	c := &Config{
		FTPS: ftps.Config{
			Server: layout.Server, Listeners: layout.Listeners, TLS: layout.TLS,
			Passive: layout.Passive, Active: layout.Active,
		},
		Users: layout.Users,
		file:  name,
		root:  root,
	}
	for i := range layout.Backends {
		b, err := decodeBackend(&layout.Backends[i], fmt.Sprintf("backends.%d", i))
		if err != nil {
			return nil, positioned(name, err)
		}
		c.Backends = append(c.Backends, b)
	}
	if err := c.validate(); err != nil {
		return nil, c.locate(err)
	}
	return c, nil
}

func (c *Config) validate() error {
	if err := c.FTPS.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	var names []string
	for i, b := range c.Backends {
		field := fmt.Sprintf("backends.%d", i)
		if b.Name == "" {
			return fielderr.New(field+".name", "a backend needs a name")
		}
		if seen[b.Name] {
			return fielderr.New(field+".name", "duplicate backend name %q", b.Name)
		}
		seen[b.Name] = true
		names = append(names, b.Name)
		if err := b.Driver.Validate(); err != nil {
			var fe *fielderr.Error
			if errors.As(err, &fe) {
				return fielderr.New(field+"."+fe.Field, "%s", fe.Reason)
			}
			return fielderr.New(field, "%v", err)
		}
	}
	if len(c.Users) == 0 {
		return fielderr.New("users", "at least one user is required")
	}
	return mapping.ValidateUsers(c.Users, names)
}

// locate turns a field error into a file:line error.
func (c *Config) locate(err error) error {
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		return &Error{File: c.file, Line: lineOf(c.root, fe.Field), Msg: fe.Error()}
	}
	return &Error{File: c.file, Msg: err.Error()}
}

// File is the name the configuration was loaded from.
func (c *Config) File() string { return c.file }
