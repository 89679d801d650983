package charts

import (
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReadmeValues: the chart README's values table names every leaf key of
// values.yaml.
func TestReadmeValues(t *testing.T) {
	b, err := os.ReadFile(chartDir + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(chartDir + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	var leaves []string
	leafKeys("", values, &leaves)
	if len(leaves) < 50 {
		t.Fatalf("only %d leaf keys found in values.yaml", len(leaves))
	}
	sort.Strings(leaves)
	for _, k := range leaves {
		if !strings.Contains(string(readme), "| `"+k+"` |") {
			t.Errorf("README.md does not document `%s` in its values table", k)
		}
	}
}

// leafKeys lists the dotted paths of values that are not non-empty maps:
// scalars, lists and empty maps.
func leafKeys(prefix string, v any, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		*out = append(*out, prefix)
		return
	}
	for k, val := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		leafKeys(p, val, out)
	}
}
