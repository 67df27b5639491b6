package tools_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

func TestSearchRepositories(t *testing.T) {
	valid := map[string]any{"query": "user:mona"}
	fullNames := func(r tools.RepositorySearchResult) []string {
		var names []string
		for _, it := range r.Items {
			names = append(names, it.FullName)
		}
		return names
	}
	cases := []toolCase{
		{
			name: "matches, private included for the owner",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.RepositorySearchResult](t, res)
				want := []string{"mona/hello-world", "mona/spoon-knife", "mona/secret-plans"}
				if got := fullNames(out); !slices.Equal(got, want) || out.TotalCount != 3 || out.NextPage != 0 {
					t.Errorf("got %v (total %d, next %d), want %v (total 3, next 0)", got, out.TotalCount, out.NextPage, want)
				}
				hw := out.Items[0]
				if hw.Stars != 42 || hw.Language != "Go" || hw.Private || hw.HTMLURL == "" || hw.UpdatedAt == "" ||
					!strings.Contains(hw.Description, "tiny greeter") {
					t.Errorf("hello-world = %+v", hw)
				}
				if !out.Items[2].Private {
					t.Errorf("secret-plans private = false, want true")
				}
			},
		},
		{
			name:  "private repositories hidden from others",
			args:  valid,
			setup: asHubot,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.RepositorySearchResult](t, res)
				if got := fullNames(out); slices.Contains(got, "mona/secret-plans") || len(got) != 2 {
					t.Errorf("got %v, want the two public repositories of mona", got)
				}
			},
		},
		{
			name: "first page of one",
			args: with(valid, "perPage", 1),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.RepositorySearchResult](t, res)
				if got := fullNames(out); !slices.Equal(got, []string{"mona/hello-world"}) || out.NextPage != 2 || out.TotalCount != 3 {
					t.Errorf("got %v (next %d, total %d), want [mona/hello-world] (next 2, total 3)", got, out.NextPage, out.TotalCount)
				}
			},
		},
		{
			name: "last page",
			args: with(valid, "perPage", 1, "page", 3),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.RepositorySearchResult](t, res)
				if got := fullNames(out); !slices.Equal(got, []string{"mona/secret-plans"}) || out.NextPage != 0 {
					t.Errorf("got %v (next %d), want [mona/secret-plans] (next 0)", got, out.NextPage)
				}
			},
		},
		{
			name: "no match gives an empty list, not null",
			args: map[string]any{"query": "no-such-thing-anywhere"},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if !strings.Contains(text(res), `"items":[]`) {
					t.Errorf("result %s, want \"items\":[]", text(res))
				}
			},
		},
		{name: "empty query", args: map[string]any{"query": ""}, wantErr: `validating "arguments"`},
		{name: "blank query", args: map[string]any{"query": "   "}, wantErr: "invalid arguments: query must not be empty"},
		{name: "perPage above 100", args: with(valid, "perPage", 101), wantErr: `validating "arguments"`},
		{name: "page 0", args: with(valid, "page", 0), wantErr: `validating "arguments"`},
		{name: "unknown sort", args: with(valid, "sort", "name"), wantErr: `validating "arguments"`},
	}
	runCases(t, "search_repositories", append(cases, commonCases(valid, "query")...))
}

func TestGetFileContents(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "path": "README.md"}
	entryNames := func(fc tools.FileContents) []string {
		var names []string
		for _, e := range fc.Entries {
			names = append(names, e.Type+":"+e.Path)
		}
		return names
	}
	big := strings.Repeat("0123456789abcdef", (3<<20)/32) // 1.5 MiB of text
	cases := []toolCase{
		{
			name: "text file",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if fc.Type != "file" || fc.Path != "README.md" || fc.SHA == "" || fc.Truncated || fc.Binary {
					t.Errorf("file = %+v", fc)
				}
				if !strings.HasPrefix(fc.Content, "# hello-world\n\nA tiny greeter.") || fc.Size != len(fc.Content) {
					t.Errorf("content %q (size %d) is not the README", fc.Content, fc.Size)
				}
			},
		},
		{
			name: "file at the default branch ref",
			args: with(valid, "path", "/docs/api.md", "ref", "main"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if fc.Path != "docs/api.md" || !strings.HasPrefix(fc.Content, "# API") {
					t.Errorf("file = %+v", fc)
				}
			},
		},
		{
			name: "repository root",
			args: without(valid, "path"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				want := []string{"file:README.md", "dir:docs", "file:go.mod", "file:main.go"}
				if got := entryNames(fc); fc.Type != "dir" || fc.Path != "" || !slices.Equal(got, want) {
					t.Errorf("root = %s %q %v, want dir \"\" %v", fc.Type, fc.Path, got, want)
				}
			},
		},
		{
			name: "directory",
			args: with(valid, "path", "docs"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				want := []string{"file:docs/api.md", "file:docs/getting-started.md", "dir:docs/images"}
				if got := entryNames(fc); fc.Type != "dir" || !slices.Equal(got, want) {
					t.Errorf("docs = %s %v, want dir %v", fc.Type, got, want)
				}
				if fc.Content != "" {
					t.Errorf("directory has content %q", fc.Content)
				}
			},
		},
		{
			name: "binary file",
			args: map[string]any{"owner": "mona", "repo": "assets", "path": "logo.png"},
			setup: addRepo(fakegithub.Repo{Owner: "mona", Name: "assets", Files: map[string]string{
				"logo.png": "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
			}}),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if !fc.Binary || fc.Content != "" || fc.Size != 16 || !strings.Contains(fc.Note, "binary file of 16 bytes") {
					t.Errorf("file = %+v, want binary of 16 bytes without content", fc)
				}
			},
		},
		{
			name:  "large file is truncated at 1 MiB",
			args:  map[string]any{"owner": "mona", "repo": "assets", "path": "big.txt"},
			setup: addRepo(fakegithub.Repo{Owner: "mona", Name: "assets", Files: map[string]string{"big.txt": big}}),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if !fc.Truncated || len(fc.Content) != 1<<20 || fc.Content != big[:1<<20] || fc.Size != len(big) {
					t.Errorf("truncated %v, content %d bytes, size %d; want truncated, %d bytes, size %d",
						fc.Truncated, len(fc.Content), fc.Size, 1<<20, len(big))
				}
				if !strings.Contains(fc.Note, "first 1048576 bytes") {
					t.Errorf("note %q does not say the content was truncated", fc.Note)
				}
			},
		},
		{
			name:  "truncation keeps whole characters",
			args:  map[string]any{"owner": "mona", "repo": "assets", "path": "utf8.txt"},
			setup: addRepo(fakegithub.Repo{Owner: "mona", Name: "assets", Files: map[string]string{"utf8.txt": "a" + strings.Repeat("é", 1<<19)}}),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if !fc.Truncated || fc.Binary || len(fc.Content) != 1<<20-1 || !strings.HasSuffix(fc.Content, "é") {
					t.Errorf("truncated %v, binary %v, %d bytes; want a %d-byte text ending in a whole é",
						fc.Truncated, fc.Binary, len(fc.Content), 1<<20-1)
				}
			},
		},
		{
			name:    "missing file",
			args:    with(valid, "path", "nope.md"),
			wantErr: "path nope.md not found, or your GitHub account has no access to mona/hello-world.",
		},
		{
			name:    "unknown ref",
			args:    with(valid, "ref", "no-such-branch"),
			wantErr: "path README.md at ref no-such-branch not found, or your GitHub account has no access to mona/hello-world.",
		},
		{
			name:    "private repository of someone else",
			args:    map[string]any{"owner": "mona", "repo": "secret-plans", "path": "PLANS.md"},
			setup:   asHubot,
			wantErr: "not found, or your GitHub account has no access to mona/secret-plans.",
		},
		{name: "path escaping the repository", args: with(valid, "path", "../../user"), wantErr: "invalid arguments: path"},
		{name: "owner with a slash", args: with(valid, "owner", "mona/hello-world"), wantErr: `validating "arguments"`},
		{name: "owner dot-dot", args: with(valid, "owner", ".."), wantErr: "invalid arguments: owner"},
		{name: "empty repo", args: with(valid, "repo", ""), wantErr: `validating "arguments"`},
	}
	runCases(t, "get_file_contents", append(cases, commonCases(valid, "repo")...))
}

// addRepo returns a setup that adds a repository to the fake.
func addRepo(r fakegithub.Repo) func(*testing.T, *testEnv) {
	return func(t *testing.T, e *testEnv) {
		t.Helper()
		if err := e.fake.AddRepo(r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGetFileContentsLargeFile covers files the contents API does not
// inline (GitHub answers encoding "none" for files over 1 MB): the tool
// reads the raw media type and stops after 1 MiB. The fake GitHub always
// inlines content, so this test serves the two responses itself.
func TestGetFileContentsLargeFile(t *testing.T) {
	const size = 3 << 20
	var rawAccept string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/mona/logs/contents/build.log", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Accept") == "application/vnd.github.raw+json" {
			rawAccept = r.URL.Query().Get("ref")
			w.Header().Set("Content-Type", "application/vnd.github.raw")
			line := strings.Repeat("x", 63) + "\n"
			for range size / len(line) {
				if _, err := w.Write([]byte(line)); err != nil {
					return
				}
			}
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"type": "file", "encoding": "none", "content": "", "size": size,
			"name": "build.log", "path": "build.log", "sha": "3f1c",
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/"
	cs := connect(t, tools.Deps{GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
		return github.NewClient(github.WithAuthToken("gho_test"), github.WithURLs(&base, &base))
	}})
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "get_file_contents", Arguments: map[string]any{
		"owner": "mona", "repo": "logs", "path": "build.log", "ref": "release/1.0",
	}})
	if err != nil {
		t.Fatal(err)
	}
	fc := output[tools.FileContents](t, res)
	if rawAccept != "release/1.0" {
		t.Errorf("raw request ref = %q, want release/1.0", rawAccept)
	}
	if !fc.Truncated || len(fc.Content) != 1<<20 || fc.Size != size || fc.SHA != "3f1c" {
		t.Errorf("truncated %v, %d bytes, size %d, sha %q; want truncated, %d bytes, size %d, sha 3f1c",
			fc.Truncated, len(fc.Content), fc.Size, fc.SHA, 1<<20, size)
	}
}
