package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…" (the
// Dockerfile passes its VERSION build argument). Left at "dev", the
// module version from the build information is used when there is one
// (`go install github.com/mcpgate/mcpgate/cmd/mcpgate@v1.2.3`).
var version = "dev"

// buildInfo is what `mcpgate version` prints, from debug.ReadBuildInfo.
type buildInfo struct {
	Version   string // main.version, else the module version, else "dev"
	Module    string // the main module's path and version as go reports them
	Commit    string // vcs.revision, with "-dirty" when vcs.modified
	CommitAt  string // vcs.time
	GoVersion string
}

// readBuildInfo reads the binary's build information. read is
// debug.ReadBuildInfo, a parameter so that tests can supply their own.
func readBuildInfo(read func() (*debug.BuildInfo, bool)) buildInfo {
	b := buildInfo{Version: version}
	bi, ok := read()
	if !ok {
		return b
	}
	b.GoVersion = bi.GoVersion
	b.Module = strings.TrimSpace(bi.Main.Path + " " + bi.Main.Version)
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.CommitAt = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if b.Commit != "" && dirty {
		b.Commit += "-dirty"
	}
	return b
}

// String is one line per known field; unknown ones are left out.
func (b buildInfo) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "mcpgate %s\n", b.Version)
	for _, f := range []struct{ name, value string }{
		{"module", b.Module},
		{"commit", b.Commit},
		{"commit time", b.CommitAt},
		{"go", b.GoVersion},
	} {
		if f.value != "" {
			fmt.Fprintf(&sb, "  %-12s %s\n", f.name+":", f.value)
		}
	}
	return sb.String()
}

// versionCommand runs `mcpgate version` (also --version).
func versionCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	setUsage(fs, stderr, "mcpgate version")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("version takes no arguments, got %q", pos)}
	}
	fmt.Fprint(stdout, readBuildInfo(debug.ReadBuildInfo))
	return nil
}
