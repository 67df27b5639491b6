package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// npmInstall runs `npm ci` in dir when CI=true, or when node_modules is
// missing, older than package-lock.json, or lacks one of the pinned
// packages at its pinned version (an interrupted install). The lockfile
// pins every package and records no download address, so npm fetches from
// its configured registry only; install scripts are not run (none of the
// pinned packages needs one).
//
// Several test binaries may run at once (`go test ./...` of two engineers,
// or `-count` runs): the check and the install happen under an exclusive
// lock on output/.npm-install.lock, so that two `npm ci` never clear the
// same node_modules under each other.
func npmInstall(dir, npm string) error {
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(dir, "output", ".npm-install.lock"))
	if err != nil {
		return fmt.Errorf("locking the npm install: %w", err)
	}
	defer unlock()
	needed, err := npmInstallNeeded(dir)
	if err != nil || !needed {
		return err
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", dir, err, tail(out, 4000))
	}
	return nil
}

// npmInstallNeeded reports whether node_modules must be installed again.
func npmInstallNeeded(dir string) (bool, error) {
	if os.Getenv("CI") == "true" {
		return true, nil
	}
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false, fmt.Errorf("e2e/package-lock.json: %w", err)
	}
	marker, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil || marker.ModTime().Before(lock.ModTime()) {
		return true, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return false, fmt.Errorf("e2e/package.json: %w", err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return false, fmt.Errorf("e2e/package.json: %w", err)
	}
	for name, pinned := range pkg.Dependencies {
		raw, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json"))
		if err != nil {
			return true, nil
		}
		var installed struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(raw, &installed) != nil || installed.Version != pinned {
			return true, nil
		}
	}
	return false, nil
}
