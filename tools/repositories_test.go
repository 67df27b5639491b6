package tools_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

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
			name: "minimal output",
			args: with(valid, "minimal_output", true),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.RepositorySearchResult](t, res)
				if len(out.Items) == 0 || out.Items[0].Description != "" || out.Items[0].FullName == "" || strings.Contains(text(res), "description") {
					t.Errorf("items = %+v, want names without descriptions", out.Items)
				}
			},
		},
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
	big := strings.Repeat("0123456789abcde\n", (3<<20)/32) // 1.5 MiB of text, 98,304 lines
	cases := []toolCase{
		{
			name: "text file",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if fc.Type != "file" || fc.Path != "README.md" || fc.SHA == "" || fc.Truncated || fc.Binary {
					t.Errorf("file = %+v", fc)
				}
				body := bodyText(t, res)
				if !strings.HasPrefix(body, "# hello-world\n\nA tiny greeter.") || fc.Size != len(body) {
					t.Errorf("content %q (size %d) is not the README", body, fc.Size)
				}
				if fc.Lines == nil || fc.Lines.StartLine != 1 || fc.Lines.EndLine != fc.Lines.TotalLines || fc.Lines.Truncated || fc.ResourceURI != "" {
					t.Errorf("lines = %+v, resource %q; want the whole file", fc.Lines, fc.ResourceURI)
				}
				if strings.Contains(text(res), `\n\nA tiny greeter`) {
					t.Error("the text was also sent JSON-escaped")
				}
			},
		},
		{
			name: "file at the default branch ref",
			args: with(valid, "path", "/docs/api.md", "ref", "main"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if fc.Path != "docs/api.md" || !strings.HasPrefix(bodyText(t, res), "# API") {
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
				if len(res.Content) != 1 {
					t.Errorf("directory result has %d content blocks, want the JSON only", len(res.Content))
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
				if !fc.Binary || len(res.Content) != 1 || fc.Size != 16 || !strings.Contains(fc.Note, "binary file of 16 bytes") ||
					fc.ResourceURI != "repo://mona/assets/contents/logo.png" {
					t.Errorf("file = %+v, want binary of 16 bytes without content", fc)
				}
			},
		},
		{
			name:  "large file comes in windows of lines, with a resource link",
			args:  map[string]any{"owner": "mona", "repo": "assets", "path": "big.txt"},
			setup: addRepo(fakegithub.Repo{Owner: "mona", Name: "assets", Files: map[string]string{"big.txt": big}}),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				body := bodyText(t, res)
				w := fc.Lines
				if !fc.Truncated || w == nil || w.StartLine != 1 || w.NextStartLine != w.EndLine+1 || len(body) != 16*w.EndLine ||
					len(body) > tools.DefaultMaxResultChars || fc.Size != len(big) {
					t.Fatalf("truncated %v, lines %+v, %d bytes; want the first lines that fit", fc.Truncated, w, len(body))
				}
				if fc.ResourceURI != "repo://mona/assets/contents/big.txt" || !hasResourceLink(res, fc.ResourceURI) {
					t.Errorf("resource %q, content %v; want a resource link to the file", fc.ResourceURI, res.Content)
				}
				next := output[tools.FileContents](t, e.call(t, "get_file_contents", map[string]any{
					"owner": "mona", "repo": "assets", "path": "big.txt", "start_line": w.NextStartLine, "end_line": w.NextStartLine + 1,
				}))
				if next.Lines.StartLine != w.NextStartLine || next.Lines.EndLine != w.NextStartLine+1 {
					t.Errorf("next window = %+v", next.Lines)
				}
			},
		},
		{
			name:  "a line longer than the budget is cut on a character boundary",
			args:  map[string]any{"owner": "mona", "repo": "assets", "path": "utf8.txt"},
			setup: addRepo(fakegithub.Repo{Owner: "mona", Name: "assets", Files: map[string]string{"utf8.txt": "a" + strings.Repeat("é", 1<<19)}}),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				body := bodyText(t, res)
				if !fc.Truncated || fc.Binary || !utf8.ValidString(body) || utf8.RuneCountInString(body) > tools.DefaultMaxResultChars ||
					!strings.Contains(body, "éé\n… [line cut") {
					t.Errorf("truncated %v, binary %v, %d bytes; want a cut line of whole characters", fc.Truncated, fc.Binary, len(body))
				}
			},
		},
		{
			name: "line range",
			args: with(valid, "path", "main.go", "start_line", 9, "end_line", 10),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				fc := output[tools.FileContents](t, res)
				if got := bodyText(t, res); got != "\tname := os.Getenv(\"NAME\")\n\tif name == \"\" {\n" || fc.Lines.TotalLines != 14 || fc.Lines.NextStartLine != 11 {
					t.Errorf("lines 9-10 = %q, window %+v", got, fc.Lines)
				}
			},
		},
		{
			name: "file at a tag, a commit and a pull request head",
			args: with(valid, "path", "main.go", "ref", "refs/pull/3/head"),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				if !strings.Contains(bodyText(t, res), "strings.TrimSpace") {
					t.Errorf("main.go at the pull request head = %q, want the fix", bodyText(t, res))
				}
				old := e.call(t, "get_file_contents", map[string]any{"owner": "mona", "repo": "hello-world", "path": "docs/api.md", "ref": "v1.0"})
				if !strings.Contains(errorText(t, old), "not found") {
					t.Errorf("docs/api.md at v1.0 should not exist")
				}
			},
		},
		{name: "start after end", args: with(valid, "start_line", 5, "end_line", 2), wantErr: "invalid arguments: start_line 5 is after end_line 2"},
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
	body := bodyText(t, res)
	if !fc.Truncated || len(body) > tools.DefaultMaxResultChars || fc.Size != size || fc.SHA != "3f1c" ||
		fc.Lines.TotalLines != (1<<20)/64 || fc.ResourceURI != "repo://mona/logs/refs/heads/release/1.0/contents/build.log" {
		t.Errorf("truncated %v, %d bytes, size %d, sha %q, lines %+v, resource %q", fc.Truncated, len(body), fc.Size, fc.SHA, fc.Lines, fc.ResourceURI)
	}
}
