// Package config loads config.yaml: strict YAML (an unknown key is an
// error naming its line), ${NAME} environment references, defaults, and
// validation whose errors point at file:line. It composes the sections
// each package owns (ftps, mapping, and one typed config per driver); it
// never interprets them itself.
package config

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/admin"
	"github.com/ftpsbridge/ftpsbridge/internal/events"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/internal/health"
	"github.com/ftpsbridge/ftpsbridge/internal/metrics"
	"github.com/ftpsbridge/ftpsbridge/internal/pemfile"
	"github.com/ftpsbridge/ftpsbridge/internal/usersfile"
	"github.com/ftpsbridge/ftpsbridge/mapping"
	"github.com/ftpsbridge/ftpsbridge/mapping/identity"
)

// Config is the whole configuration file.
type Config struct {
	FTPS     ftps.Config
	Metrics  metrics.Config
	Events   []events.TargetConfig
	Health   health.Config
	Admin    admin.Config
	Backends []Backend
	// Users are those of the users section followed by those of the
	// users_file, if any.
	Users []mapping.UserConfig
	// UsersFile is the users_file setting ("" if none).
	UsersFile string
	// LoginCache is the login_cache section.
	LoginCache mapping.LoginCacheConfig
	// Identity is the identity section (Type "" for no provider).
	Identity identity.Config

	file      string
	root      *yaml.Node
	usersFrom *usersSource
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
	Server     ftps.ServerConfig        `yaml:"server"`
	Listeners  []ftps.ListenerConfig    `yaml:"listeners"`
	TLS        ftps.TLSConfig           `yaml:"tls"`
	Passive    ftps.PassiveConfig       `yaml:"passive"`
	Active     ftps.ActiveConfig        `yaml:"active"`
	Metrics    metrics.Config           `yaml:"metrics"`
	Backends   []yaml.Node              `yaml:"backends"`
	Users      []mapping.UserConfig     `yaml:"users"`
	UsersFile  string                   `yaml:"users_file"`
	LoginCache mapping.LoginCacheConfig `yaml:"login_cache"`
	Identity   identity.Config          `yaml:"identity"`
	Events     []events.TargetConfig    `yaml:"events"`
	Health     health.Config            `yaml:"health"`
	Admin      admin.Config             `yaml:"admin"`
}

// Error is a configuration error with its position: the line and column
// (both from 1) of the key at fault, or of the nearest enclosing one that
// the file has. Several problems are several *Error joined with
// errors.Join, one a line.
type Error struct {
	File   string
	Line   int
	Column int
	// Key is the dotted key at fault, in File's own numbering
	// ("users.2.prefix"), when the error concerns one.
	Key string
	Msg string
}

// At is the key and line at fault, for those who list problems by key.
func (e *Error) At() (key string, line int) { return e.Key, e.Line }

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
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

// LoadWithUsersFile is Load with the users_file's content taken from
// users instead of the disk: it says what check-config and a reload
// would say if users were written there. The operator console checks a
// change this way before writing it.
func LoadWithUsersFile(path string, users []byte) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data, func(string) ([]byte, error) { return users, nil })
}

// Parse parses configuration text; name is used in error messages. It
// applies defaults and validates.
func Parse(name string, data []byte) (*Config, error) {
	return parse(name, data, usersfile.ReadFile)
}

// parse is Parse with the users_file read by readUsers.
func parse(name string, data []byte, readUsers func(string) ([]byte, error)) (*Config, error) {
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
		LoginCache: mapping.DefaultLoginCache(),
		Identity:   identity.Default(),
	}
	if err := root.Decode(&layout); err != nil {
		return nil, &Error{File: name, Msg: yamlMessage(err)}
	}
	c := &Config{
		FTPS: ftps.Config{
			Server: layout.Server, Listeners: layout.Listeners, TLS: layout.TLS,
			Passive: layout.Passive, Active: layout.Active,
		},
		Metrics:    layout.Metrics,
		Users:      layout.Users,
		UsersFile:  layout.UsersFile,
		LoginCache: layout.LoginCache,
		Identity:   layout.Identity,
		file:       name,
		root:       root,
		Events:     layout.Events,
		Health:     layout.Health,
		Admin:      layout.Admin.WithDefaults(),
	}
	if layout.UsersFile != "" {
		users, usersRoot, err := loadUsersFile(layout.UsersFile, readUsers)
		var located *Error
		switch {
		case errors.As(err, &located):
			return nil, err
		case err != nil:
			line, col := posOf(root, "users_file")
			return nil, &Error{File: name, Line: line, Column: col, Msg: "users_file: " + err.Error()}
		}
		c.usersFrom = &usersSource{file: layout.UsersFile, first: len(c.Users), root: usersRoot}
		c.Users = append(c.Users, users...)
	}
	var decodeErrs []error
	for i := range layout.Backends {
		b, err := decodeBackend(&layout.Backends[i], fmt.Sprintf("backends.%d", i))
		if err != nil {
			decodeErrs = append(decodeErrs, err)
			continue
		}
		c.Backends = append(c.Backends, b)
	}
	if len(decodeErrs) > 0 {
		return nil, positioned(name, errors.Join(decodeErrs...))
	}
	if err := c.validate(); err != nil {
		return nil, c.locate(err)
	}
	return c, nil
}

// validate checks every section and reports every problem it finds in
// the users (one per problem), and the first in each other section.
func (c *Config) validate() error {
	var errs []error
	if err := c.FTPS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Metrics.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.LoginCache.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Identity.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := events.Validate(c.Events); err != nil {
		errs = append(errs, err)
	}
	if err := c.Health.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Admin.Validate(); err != nil {
		errs = append(errs, err)
	}
	names, err := c.validateBackends()
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkTLSFiles()...)
	if len(c.Users) == 0 && c.UsersFile == "" && c.Identity.Type == "" {
		errs = append(errs, fielderr.New("users", "at least one user is required (in users, or in a users_file)"))
	}
	errs = append(errs, mapping.ValidateUsers(c.Users, names))
	for i, u := range c.Users {
		if u.NeedsCertificate() && c.FTPS.TLS.ClientCAFile == "" {
			errs = append(errs, fielderr.New(fmt.Sprintf("users.%d.auth", i),
				"auth: %s needs tls.client_ca_file, so that the server asks for client certificates", u.Auth))
		}
	}
	return errors.Join(errs...)
}

// validateBackends checks every backend and returns the names of those
// that have one. Each driver names its keys relative to its entry;
// Within puts them under "backends.N", where the file has them.
func (c *Config) validateBackends() ([]string, error) {
	seen := map[string]int{}
	var names []string
	var errs []error
	for i, b := range c.Backends {
		field := fmt.Sprintf("backends.%d", i)
		switch j, dup := seen[b.Name]; {
		case b.Name == "":
			errs = append(errs, fielderr.New(field+".name", "a backend needs a name"))
		case dup:
			errs = append(errs, fielderr.New(field+".name", "duplicate backend name %q (also backends.%d)", b.Name, j))
		default:
			seen[b.Name] = i
			names = append(names, b.Name)
		}
		errs = append(errs, fielderr.Within(field, b.Driver.Validate()))
	}
	return names, errors.Join(errs...)
}

// checkTLSFiles reads the files the tls section names, once each, so that
// check-config finds an unreadable or malformed one before serve does.
func (c *Config) checkTLSFiles() []error {
	var errs []error
	t := c.FTPS.TLS
	if t.ClientCAFile != "" {
		if data, err := usersfile.ReadFile(t.ClientCAFile); err != nil {
			errs = append(errs, fielderr.New("tls.client_ca_file", "%v", err))
		} else if _, err := pemfile.ParseCertPool(t.ClientCAFile, data); err != nil {
			errs = append(errs, fielderr.New("tls.client_ca_file", "%v", err))
		}
	}
	if t.CertFile != "" && t.KeyFile != "" {
		certPEM, errCert := usersfile.ReadFile(t.CertFile)
		keyPEM, errKey := usersfile.ReadFile(t.KeyFile)
		if err := errors.Join(errCert, errKey); err != nil {
			errs = append(errs, fielderr.New("tls.cert_file", "%v", err))
		} else if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
			errs = append(errs, fielderr.New("tls.cert_file", "cert_file and key_file: %v", err))
		}
	}
	return errs
}

// File is the name the configuration was loaded from.
func (c *Config) File() string { return c.file }

// InlineUsers is how many of Users come from the users section of the
// configuration file itself; the rest come from the users_file.
func (c *Config) InlineUsers() int {
	if c.usersFrom == nil {
		return len(c.Users)
	}
	return c.usersFrom.first
}
