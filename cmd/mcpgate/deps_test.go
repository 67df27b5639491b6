package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestPackages keeps test machinery out of the production
// binary: `mcpgate demo` serves the fakes with their plain constructors,
// and their testing.TB helpers live in the …test packages.
func TestBinaryLinksNoTestPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, forbidden := range []string{
		"testing",
		"net/http/httptest",
		"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest",
		"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest",
	} {
		if slices.Contains(deps, forbidden) {
			t.Errorf("cmd/mcpgate links %s", forbidden)
		}
	}
}
