package admin

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func openAPIPaths(t *testing.T) map[string]map[string]any {
	t.Helper()
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI == "" || len(doc.Paths) == 0 {
		t.Fatal("openapi.yaml has no openapi version or no paths")
	}
	return doc.Paths
}
