package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

// snapDir holds one golden file per tool: what a client sees in tools/list.
const snapDir = "testdata/toolsnaps"

// TestToolSnapshots compares every tool's definition (name, title,
// description, annotations, input and output schema), as a client receives
// it, with its golden file byte for byte. UPDATE_TOOLSNAPS=true rewrites
// the files; without it a missing, differing or stale file fails the test,
// so a schema change is always a reviewed diff.
func TestToolSnapshots(t *testing.T) {
	update := os.Getenv("UPDATE_TOOLSNAPS") == "true"
	listed := listTools(t)

	for _, tool := range listed {
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatalf("marshal %s: %v", tool.Name, err)
		}
		got = append(got, '\n')
		path := filepath.Join(snapDir, tool.Name+".json")
		if update {
			if err := os.MkdirAll(snapDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (%v); run UPDATE_TOOLSNAPS=true go test ./tools/ and review the new file", tool.Name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: definition differs from %s; if the change is intended, run UPDATE_TOOLSNAPS=true go test ./tools/ and review the diff.\ngot:\n%s", tool.Name, path, got)
		}
	}

	files, err := filepath.Glob(filepath.Join(snapDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !slices.Contains(tools.Names(), name) {
			if update {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("stale snapshot %s: no tool %q is registered; delete the file", f, name)
		}
	}
}

// TestNamesMatchRegistration checks that Names lists exactly the registered
// tools, in order, with the names the design fixes.
func TestNamesMatchRegistration(t *testing.T) {
	want := []string{
		"get_me", "search_repositories", "get_file_contents",
		"list_commits", "get_commit", "list_branches", "compare_refs", "create_branch", "create_or_update_file",
		"list_issues", "issue_read", "issue_write", "add_issue_comment",
		"list_pull_requests", "pull_request_read", "create_pull_request",
		"actions_list", "actions_get", "get_job_logs",
		"search_issues", "search_pull_requests", "search_code", "whoami",
	}
	if got := tools.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	var listed []string
	for _, tool := range listTools(t) {
		listed = append(listed, tool.Name)
	}
	slices.Sort(listed)
	sorted := slices.Sorted(slices.Values(want))
	if !slices.Equal(listed, sorted) {
		t.Fatalf("tools/list = %v, want %v", listed, sorted)
	}
}

// TestAnnotations checks the hints every tool must carry: a title, open
// world for the tools that reach GitHub (all but whoami, which only reads
// mcpgate's own record), and read-only except the two that create things,
// which are additive (not destructive) and not idempotent; reads are
// idempotent.
func TestAnnotations(t *testing.T) {
	writes := []string{"issue_write", "add_issue_comment", "create_branch", "create_or_update_file", "create_pull_request"}
	closedWorld := []string{"whoami"}
	for _, tool := range listTools(t) {
		t.Run(tool.Name, func(t *testing.T) {
			a := tool.Annotations
			if a == nil {
				t.Fatal("no annotations")
			}
			if a.Title == "" || tool.Title == "" || tool.Description == "" {
				t.Errorf("title %q, annotations title %q, description %q: all must be set", tool.Title, a.Title, tool.Description)
			}
			if open := !slices.Contains(closedWorld, tool.Name); a.OpenWorldHint == nil || *a.OpenWorldHint != open {
				t.Errorf("openWorldHint = %v, want %v", a.OpenWorldHint, open)
			}
			write := slices.Contains(writes, tool.Name)
			if a.ReadOnlyHint == write {
				t.Errorf("readOnlyHint = %v, want %v", a.ReadOnlyHint, !write)
			}
			if write {
				if a.DestructiveHint == nil || *a.DestructiveHint {
					t.Errorf("destructiveHint = %v, want false", a.DestructiveHint)
				}
				if a.IdempotentHint {
					t.Error("idempotentHint = true, want false")
				}
			} else if !a.IdempotentHint {
				t.Error("idempotentHint = false on a read, want true")
			}
			if tool.OutputSchema == nil {
				t.Error("no output schema")
			}
		})
	}
}

// TestRegisterNeedsClientFunc checks that a wiring mistake stops start-up.
func TestRegisterNeedsClientFunc(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Register with a nil ClientFunc did not panic")
		}
	}()
	tools.Register(mcp.NewServer(&mcp.Implementation{Name: "x", Version: "x"}, nil), tools.Deps{})
}

// listTools returns the tools a client sees.
func listTools(t *testing.T) []*mcp.Tool {
	t.Helper()
	cs := connect(t, tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
			t.Error("listing tools must not build a GitHub client")
			return nil, nil
		},
	})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	return res.Tools
}
