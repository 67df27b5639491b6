package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int    // 1-based line where it starts
	cmd  string // upper case: FROM, RUN, ENV, …
	args string
}

// stage is one FROM … stage of a multi-stage Dockerfile.
type stage struct {
	from  string // the image reference
	name  string // AS name, if any
	instr []instruction
}

// parseDockerfile splits a Dockerfile into stages. It understands what
// ../Dockerfile uses (comments, parser directives, backslash continuations)
// and nothing more: anything it does not know fails the test rather than
// being guessed at.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		stages  []stage
		pending strings.Builder
		start   int
	)
	flush := func() {
		text := strings.TrimSpace(pending.String())
		pending.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		switch in.cmd {
		case "FROM":
			fields := strings.Fields(in.args)
			s := stage{from: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.name = fields[2]
			} else if len(fields) != 1 {
				t.Fatalf("%s:%d: FROM %q: want `FROM image [AS name]`", path, in.line, in.args)
			}
			stages = append(stages, s)
		case "ARG":
			if len(stages) == 0 {
				return // a global ARG before the first FROM
			}
			fallthrough
		default:
			if len(stages) == 0 {
				t.Fatalf("%s:%d: %s before the first FROM", path, in.line, in.cmd)
			}
			stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, in)
		}
	}
	for i, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || trimmed == "" {
			continue
		}
		if pending.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(trimmed)
		flush()
	}
	if pending.Len() > 0 {
		t.Fatalf("%s: ends inside a continued line", path)
	}
	return stages
}

// imageSpec is what the final stage of the Dockerfile says about the image.
type imageSpec struct {
	from       string
	user       string
	env        []string // KEY=value, in order
	exposed    []string // "8080/tcp"
	entrypoint []string
	cmd        []string
	copies     map[string]string // destination → source, for COPY --from
	buildEnv   []string          // the build stage's `go build` environment
	buildArgs  []string          // `build …` arguments after `go`
}

// dockerfileSpec reads ../Dockerfile: the final stage's image settings and
// the build stage's `go build` command.
func dockerfileSpec(t *testing.T) imageSpec {
	t.Helper()
	path := filepath.Join("..", "Dockerfile")
	stages := parseDockerfile(t, path)
	if len(stages) < 2 {
		t.Fatalf("%s: %d stages; want a build stage and a final stage", path, len(stages))
	}
	final := stages[len(stages)-1]
	spec := imageSpec{from: final.from, copies: map[string]string{}}
	jsonArray := func(in instruction) []string {
		var v []string
		if err := json.Unmarshal([]byte(in.args), &v); err != nil {
			t.Fatalf("%s:%d: %s must use the exec (JSON array) form: %v", path, in.line, in.cmd, err)
		}
		return v
	}
	for _, in := range final.instr {
		switch in.cmd {
		case "USER":
			spec.user = in.args
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				if !strings.Contains(kv, "=") || strings.ContainsAny(kv, `"'$`) {
					t.Fatalf("%s:%d: ENV %q: want plain KEY=value pairs", path, in.line, in.args)
				}
				spec.env = append(spec.env, kv)
			}
		case "EXPOSE":
			for _, p := range strings.Fields(in.args) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				spec.exposed = append(spec.exposed, p)
			}
		case "ENTRYPOINT":
			spec.entrypoint = jsonArray(in)
		case "CMD":
			spec.cmd = jsonArray(in)
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) != 3 || !strings.HasPrefix(f[0], "--from=") {
				t.Fatalf("%s:%d: COPY %q: the final stage only copies one file from the build stage", path, in.line, in.args)
			}
			spec.copies[f[2]] = f[1]
		default:
			t.Fatalf("%s:%d: %s in the final stage: the image test does not model it; teach it (deploy/dockerfile_test.go)", path, in.line, in.cmd)
		}
	}
	for _, s := range stages[:len(stages)-1] {
		for _, in := range s.instr {
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			words := shellWords(t, in.args)
			i := slices.Index(words, "go")
			if i < 0 || i+1 >= len(words) || words[i+1] != "build" {
				t.Fatalf("%s:%d: want `[VAR=value …] go build …` on one RUN line, got %q", path, in.line, in.args)
			}
			spec.buildEnv, spec.buildArgs = words[:i], words[i+1:]
		}
	}
	if spec.buildArgs == nil {
		t.Fatalf("%s: no `go build` RUN line in a build stage", path)
	}
	return spec
}

// shellWords splits a RUN line as sh would for the simple words the
// Dockerfile uses: spaces separate, double quotes group. Anything needing a
// real shell (pipes, &&, single quotes, backticks) fails the test.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	if strings.ContainsAny(s, "|&;`'<>") {
		t.Fatalf("RUN %q: keep the go build line a plain command", s)
	}
	var (
		words  []string
		cur    strings.Builder
		quote  bool
		inWord bool
	)
	for _, r := range s {
		switch {
		case r == '"':
			quote, inWord = !quote, true
		case r == ' ' && !quote:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote {
		t.Fatalf("RUN %q: unbalanced quote", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// envValue returns the value of key in a KEY=value list.
func envValue(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`go build -o /out/x ./cmd/x`, []string{"go", "build", "-o", "/out/x", "./cmd/x"}},
		{`A=1 go build -ldflags "-s -w -X main.version=${VERSION}" .`, []string{"A=1", "go", "build", "-ldflags", "-s -w -X main.version=${VERSION}", "."}},
		{`go  build   ""`, []string{"go", "build", ""}},
	} {
		got := shellWords(t, tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDockerfile checks the properties of the image that need no build:
// multi-stage, static build, non-root numeric user, the listen address on
// every interface at the exposed port, an exec-form entrypoint.
func TestDockerfile(t *testing.T) {
	spec := dockerfileSpec(t)
	if !strings.HasPrefix(spec.from, "gcr.io/distroless/static") && spec.from != "scratch" {
		t.Errorf("final stage FROM %s: want gcr.io/distroless/static… or scratch (no libc, no shell)", spec.from)
	}
	if v, _ := envValue(spec.buildEnv, "CGO_ENABLED"); v != "0" {
		t.Errorf("go build environment %q: want CGO_ENABLED=0 (a static binary)", spec.buildEnv)
	}
	if !slices.Contains(spec.buildArgs, "-trimpath") {
		t.Errorf("go build %q: want -trimpath", spec.buildArgs)
	}
	uid, _, _ := strings.Cut(spec.user, ":")
	if uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("USER %q: want a numeric non-root user (Kubernetes runAsNonRoot can only verify a number)", spec.user)
	}
	addr, ok := envValue(spec.env, "MCPGATE_ADDR")
	if !ok || !strings.HasPrefix(addr, "0.0.0.0:") {
		t.Errorf("ENV MCPGATE_ADDR=%q: want 0.0.0.0:PORT (the built-in default binds loopback)", addr)
	}
	port := strings.TrimPrefix(addr, "0.0.0.0:")
	if !slices.Equal(spec.exposed, []string{port + "/tcp"}) {
		t.Errorf("EXPOSE %q: want exactly the port of MCPGATE_ADDR, %s/tcp", spec.exposed, port)
	}
	if len(spec.entrypoint) != 1 || spec.copies[spec.entrypoint[0]] == "" {
		t.Errorf("ENTRYPOINT %q: want the one binary the final stage copies (%v)", spec.entrypoint, spec.copies)
	}
	if !slices.Equal(spec.cmd, []string{"serve"}) {
		t.Errorf("CMD %q: want [\"serve\"]", spec.cmd)
	}
	out := ""
	for i, a := range spec.buildArgs {
		if a == "-o" && i+1 < len(spec.buildArgs) {
			out = spec.buildArgs[i+1]
		}
	}
	if src := spec.copies[firstOr(spec.entrypoint, "")]; !strings.HasSuffix(src, out) || out == "" {
		t.Errorf("the final stage copies %q, the build writes -o %q: want the same file", src, out)
	}
}

// TestDockerfileGoVersion: the build stage's Go is the one go.mod names, so
// that the image is built as CI tests it.
func TestDockerfileGoVersion(t *testing.T) {
	df, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	arg, goLine := "", ""
	for line := range strings.SplitSeq(string(df), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ARG GO_VERSION="); ok {
			arg = v
		}
	}
	for line := range strings.SplitSeq(string(mod), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			goLine = v
		}
	}
	if arg == "" || arg != goLine {
		t.Errorf("Dockerfile ARG GO_VERSION=%q, go.mod says go %q: want the same version", arg, goLine)
	}
	if !strings.Contains(string(df), "FROM golang:${GO_VERSION}") {
		t.Errorf("the build stage does not use golang:${GO_VERSION}")
	}
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// expand substitutes ${NAME} from vars, failing on names it does not know.
func expand(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return os.Expand(s, func(name string) string {
		v, ok := vars[name]
		if !ok {
			t.Fatalf("the Dockerfile's go build line uses ${%s}; the image test does not know it", name)
		}
		return v
	})
}
