package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/azure"
	"github.com/ftpsbridge/ftpsbridge/backends/gcs"
	"github.com/ftpsbridge/ftpsbridge/backends/local"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
	"github.com/ftpsbridge/ftpsbridge/backends/s3"
)

// driver knows one backend type: how to make its empty typed
// configuration, and how to open a backend from it.
type driver struct {
	newConfig func() Validator
	open      func(cfg Validator) (backends.Backend, error)
}

// drivers is the explicit list of backend types (no init-time registry).
var drivers = map[string]driver{
	"local": {
		newConfig: func() Validator { return &local.Config{} },
		open:      func(c Validator) (backends.Backend, error) { return local.New(*c.(*local.Config)) },
	},
	"s3": {
		newConfig: func() Validator { return &s3.Config{} },
		open:      func(c Validator) (backends.Backend, error) { return s3.New(*c.(*s3.Config)) },
	},
	"gcs": {
		newConfig: func() Validator { return &gcs.Config{} },
		open:      func(c Validator) (backends.Backend, error) { return gcs.New(*c.(*gcs.Config)) },
	},
	"azure": {
		newConfig: func() Validator { return &azure.Config{} },
		open:      func(c Validator) (backends.Backend, error) { return azure.New(*c.(*azure.Config)) },
	},
	"memory": {
		newConfig: func() Validator { return &memory.Config{} },
		open:      func(Validator) (backends.Backend, error) { return memory.New(), nil },
	},
}

// backendHeader holds the keys every backend entry has.
type backendHeader struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
}

func decodeBackend(n *yaml.Node, path string) (Backend, error) {
	var h backendHeader
	if n.Kind != yaml.MappingNode {
		return Backend{}, nodeError(n, path+": expected a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "name":
			h.Name = n.Content[i+1].Value
		case "type":
			h.Type = n.Content[i+1].Value
		}
	}
	d, ok := drivers[h.Type]
	if !ok {
		at := n
		if v := valueOf(n, "type"); v != nil {
			at = v
		}
		return Backend{}, nodeError(at, fmt.Sprintf("%s: unknown backend type %q (known: %s)", path, h.Type, knownTypes()))
	}
	cfg := d.newConfig()
	// The header keys sit beside the driver's own keys in one mapping.
	full := reflect.StructOf([]reflect.StructField{
		{Name: "Header", Type: reflect.TypeOf(backendHeader{}), Tag: `yaml:",inline"`},
		{Name: "Driver", Type: reflect.TypeOf(cfg).Elem(), Tag: `yaml:",inline"`},
	})
	if err := checkKnown(n, full, path); err != nil {
		return Backend{}, err
	}
	if err := n.Decode(cfg); err != nil {
		return Backend{}, nodeError(n, path+": "+yamlMessage(err))
	}
	return Backend{Name: h.Name, Type: h.Type, Driver: cfg}, nil
}

func knownTypes() string {
	var names []string
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// OpenBackends opens every configured backend, by name. On error the ones
// already opened are closed.
func (c *Config) OpenBackends() (map[string]backends.Backend, error) {
	out := map[string]backends.Backend{}
	for _, b := range c.Backends {
		be, err := drivers[b.Type].open(b.Driver)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("backend %q: %w", b.Name, err)
		}
		out[b.Name] = be
	}
	return out, nil
}
