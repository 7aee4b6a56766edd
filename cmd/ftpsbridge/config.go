package main

import (
	"github.com/ftpsbridge/ftpsbridge"
	"github.com/ftpsbridge/ftpsbridge/internal/config"
)

// loadConfig reads the file at path, or the embedded default when path is
// empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse("config.yaml (embedded default)", ftpsbridge.DefaultConfig)
	}
	return config.Load(path)
}
