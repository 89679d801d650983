package catalog

import (
	"errors"
	"strings"
	"testing"
)

func TestNamespaces(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)

	// New created the default namespace; a second Catalog on the same
	// prefix finds it and does not fail.
	if _, err := c.GetNamespace(ctx, DefaultNamespace); err != nil {
		t.Fatalf("default namespace: %v", err)
	}
	openCatalog(t, c.cli, nil)

	ns, err := c.CreateNamespace(ctx, "sales", map[string]string{"owner": "bi"})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Name != "sales" || ns.Properties["owner"] != "bi" || ns.CreatedAt.IsZero() {
		t.Fatalf("created %+v", ns)
	}
	if _, err := c.CreateNamespace(ctx, "ventes_été", nil); err != nil {
		t.Fatalf("unicode name: %v", err)
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			do   func() error
			want error
			msg  string
		}{
			{"duplicate", func() error { _, err := c.CreateNamespace(ctx, "sales", nil); return err }, ErrAlreadyExists, "already exists"},
			{"bad name", func() error { _, err := c.CreateNamespace(ctx, "a/b", nil); return err }, ErrInvalid, "path separators"},
			{"get missing", func() error { _, err := c.GetNamespace(ctx, "nope"); return err }, ErrNotFound, "does not exist"},
			{"get bad name", func() error { _, err := c.GetNamespace(ctx, "../x"); return err }, ErrNotFound, ""},
			{"drop missing", func() error { return c.DropNamespace(ctx, "nope") }, ErrNotFound, "does not exist"},
			{"drop default", func() error { return c.DropNamespace(ctx, DefaultNamespace) }, ErrInvalid, "cannot be dropped"},
			{"empty property name", func() error { _, err := c.CreateNamespace(ctx, "p", map[string]string{"": "x"}); return err }, ErrInvalid, "property"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.do()
				if !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error %q does not mention %q", err, tt.msg)
				}
			})
		}
	})

	list, err := c.ListNamespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range list {
		names = append(names, n.Name)
	}
	if got, want := strings.Join(names, ","), "default,sales,ventes_été"; got != want {
		t.Fatalf("ListNamespaces = %s, want %s", got, want)
	}

	// A namespace holding a table cannot be dropped.
	spec := pkSpec("orders")
	spec.Namespace = "sales"
	mustCreate(t, c, spec)
	if err := c.DropNamespace(ctx, "sales"); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("drop non-empty namespace: %v, want ErrNotEmpty", err)
	}
	if _, err := c.DropTable(ctx, "sales", "orders"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropNamespace(ctx, "sales"); err != nil {
		t.Fatalf("drop emptied namespace: %v", err)
	}
	if _, err := c.GetNamespace(ctx, "sales"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dropped namespace still found: %v", err)
	}
	if _, err := c.CreateNamespace(ctx, "sales", nil); err != nil {
		t.Fatalf("recreate: %v", err)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
		msg  string
	}{
		{"orders", true, ""},
		{"Orders_2024-x", true, ""},
		{"_x", true, ""},
		{"日本語", true, ""},
		{"9lives", true, ""},
		{strings.Repeat("a", 128), true, ""},
		{strings.Repeat("é", 128), true, ""},
		{"", false, "empty"},
		{strings.Repeat("a", 129), false, "129 characters"},
		{"-x", false, "start with '-'"},
		{"a/b", false, "path separators"},
		{`a\b`, false, "path separators"},
		{".", false, "'.'"},
		{"..", false, "'.'"},
		{"a.b", false, "'.'"},
		{"a b", false, "spaces"},
		{"a\tb", false, "control"},
		{"a\x00", false, "control"},
		{"a\xffb", false, "UTF-8"},
		{"a*b", false, "only letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName("table", tt.name)
			if tt.ok {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want ErrInvalid mentioning %q", err, tt.msg)
			}
		})
	}
}
