package github

import (
	"slices"
	"strings"
)

// readOnlyCounterpart maps GitHub OAuth App scopes that can write to the
// scope that only reads the same data
// (docs.github.com, "Scopes for OAuth apps"). A scope that can write and
// is not here (repo, public_repo, repo:status, repo_deployment,
// repo:invite, security_events, workflow, gist, delete_repo, user:follow,
// codespace, admin:org_hook, admin:enterprise, copilot, …) has no
// read-only counterpart and is dropped from a read-only request. GitHub
// has no read-only repository scope for OAuth Apps: a read-only
// authorization reads public repositories only (a GitHub App with
// read-only repository permissions reads private ones; GitHub Apps ignore
// scopes).
var readOnlyCounterpart = map[string]string{
	"user":                  "read:user",
	"project":               "read:project",
	"write:org":             "read:org",
	"admin:org":             "read:org",
	"write:discussion":      "read:discussion",
	"write:packages":        "read:packages",
	"delete:packages":       "read:packages",
	"write:public_key":      "read:public_key",
	"admin:public_key":      "read:public_key",
	"write:repo_hook":       "read:repo_hook",
	"admin:repo_hook":       "read:repo_hook",
	"write:gpg_key":         "read:gpg_key",
	"admin:gpg_key":         "read:gpg_key",
	"write:ssh_signing_key": "read:ssh_signing_key",
	"admin:ssh_signing_key": "read:ssh_signing_key",
}

// readsOnly are the scopes outside the read:* family that grant no write.
var readsOnly = []string{"user:email", "notifications"}

// readOnlyScopes returns the part of scopes that cannot write, with write
// scopes replaced by their read-only counterparts, in order and without
// duplicates.
func readOnlyScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		switch r, ok := readOnlyCounterpart[s]; {
		case ok:
			s = r
		case strings.HasPrefix(s, "read:") || slices.Contains(readsOnly, s):
		default:
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
