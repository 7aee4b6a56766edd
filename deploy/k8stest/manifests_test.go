package k8stest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const manifestDir = "../kubernetes"

// manifests are the decoded objects of deploy/kubernetes by kind.
type manifests struct {
	configMaps   map[string]*corev1.ConfigMap
	services     map[string]*corev1.Service
	statefulSets map[string]*appsv1.StatefulSet
	secrets      map[string]*corev1.Secret
	budgets      map[string]*policyv1.PodDisruptionBudget
}

// newObject returns the typed object for a document's apiVersion and
// kind, and files it under its name.
func (m *manifests) newObject(meta metav1.TypeMeta) (any, func(name string), error) {
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		return o, func(n string) { m.configMaps[n] = o }, nil
	case "v1 Service":
		o := &corev1.Service{}
		return o, func(n string) { m.services[n] = o }, nil
	case "v1 Secret":
		o := &corev1.Secret{}
		return o, func(n string) { m.secrets[n] = o }, nil
	case "apps/v1 StatefulSet":
		o := &appsv1.StatefulSet{}
		return o, func(n string) { m.statefulSets[n] = o }, nil
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		return o, func(n string) { m.budgets[n] = o }, nil
	}
	return nil, nil, fmt.Errorf("unexpected %s %s", meta.APIVersion, meta.Kind)
}

// load decodes every document of every manifest strictly.
func load(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		configMaps: map[string]*corev1.ConfigMap{}, services: map[string]*corev1.Service{},
		statefulSets: map[string]*appsv1.StatefulSet{}, secrets: map[string]*corev1.Secret{},
		budgets: map[string]*policyv1.PodDisruptionBudget{},
	}
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestDir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			where := fmt.Sprintf("%s document %d", filepath.Base(f), i+1)
			js, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if string(js) == "null" {
				continue // comments only
			}
			var meta metav1.TypeMeta
			if err := json.Unmarshal(js, &meta); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			obj, file, err := m.newObject(meta)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			dec := json.NewDecoder(bytes.NewReader(js))
			dec.DisallowUnknownFields()
			if err := dec.Decode(obj); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			name := obj.(metav1.Object).GetName()
			if name == "" {
				t.Fatalf("%s: no metadata.name", where)
			}
			file(name)
		}
	}
	return m
}

// TestManifestsDecodeStrictly: every document is a known kind whose
// fields all exist in the Kubernetes API types.
func TestManifestsDecodeStrictly(t *testing.T) {
	m := load(t)
	for _, want := range []struct {
		kind string
		n    int
	}{
		{"ConfigMap", len(m.configMaps)}, {"Service", len(m.services)}, {"StatefulSet", len(m.statefulSets)},
		{"Secret", len(m.secrets)}, {"PodDisruptionBudget", len(m.budgets)},
	} {
		if want.n == 0 {
			t.Errorf("no %s", want.kind)
		}
	}
}

// TestStrictDecodingCatchesTypos: the decoding above does fail on a
// misspelt field, so its passing means something.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	js, err := yaml.YAMLToJSON([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selectr: {a: b}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&corev1.Service{}); err == nil || !strings.Contains(err.Error(), "selectr") {
		t.Fatalf("a misspelt field decoded: %v", err)
	}
}
