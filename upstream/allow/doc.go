// Package allow decides who may sign in to mcpgate and keep using it: the
// allowlists of the configuration (DESIGN.md, "Allowlists (users, GitHub
// orgs/teams, email domains) are enforced at login and re-checked at
// refresh").
//
// # Rules
//
// A Policy is built from Rules, which has five kinds of rule:
//
//   - Users: single accounts, written PROVIDER:VALUE (see below).
//   - EmailDomains: accounts whose e-mail address is at one of these
//     domains (exactly: example.com does not admit a.example.com), and only
//     when the provider verified the address (upstream.Identity's
//     EmailVerified). An unverified address never matches, whatever its
//     domain: anyone can type any address into a profile.
//   - GoogleHostedDomains: Google accounts whose ID token's "hd" claim is
//     one of these Google Workspace domains. Unlike the e-mail's domain,
//     "hd" is asserted by Google for the account as a whole; consumer
//     accounts have none.
//   - GitHubOrgs: GitHub accounts that are active members of one of these
//     organisations (GET /user/memberships/orgs/{org}, state "active"; an
//     invitation not yet accepted is "pending" and does not count).
//   - GitHubTeams: GitHub accounts that are active members of one of these
//     teams, written ORG/TEAM-SLUG (GET
//     /orgs/{org}/teams/{team_slug}/memberships/{username}).
//
// # Users entries
//
// PROVIDER is the configured name of an identity provider, its callback
// path segment: "github", "google", "oidc", or the name of a providers
// entry. VALUE names the account:
//
//	github:1001               subject 1001 (GitHub's numeric user ID; the
//	                          OpenID Connect "sub")
//	oidc:sub:00u1abcd         the same, explicitly (for a subject that itself
//	                          starts with "sub:", "login:" or "email:")
//	github:login:mona         login mona (the GitHub login; for OpenID
//	                          Connect the preferred_username),
//	                          case-insensitively
//	google:email:a@b.example  verified e-mail address a@b.example,
//	                          case-insensitively
//
// The subject is the only value a provider promises never to reuse:
// GitHub logins can be renamed and then registered by someone else, and
// OpenID Connect Core 1.0 §5.7 warns that preferred_username is neither
// unique nor stable. Prefer subjects; logins are a convenience.
//
// # GitHub organisations and teams
//
// The GitHub rules are checked through the GitHub API with the person's
// own upstream token, so mcpgate needs no organisation credentials; the
// token must carry the read:org scope (NeedsGitHubOrgs tells the wiring to
// request it) or, for a GitHub App, the organisation "Members: read"
// permission. An organisation that restricts third-party OAuth access
// answers 403 until an owner approves the app; the refusal says so.
//
// # Semantics
//
// No rule at all admits everyone who can sign in with a configured
// provider. Otherwise an account is admitted when ANY rule admits it: the
// rules are alternatives, not conditions to combine. (A configuration that
// wants "members of my-org whose e-mail is at example.com" cannot say it;
// one that wants "members of my-org, and also alice" can.) Rules that do
// not apply to the account's provider (a GitHub organisation for a Google
// account) simply do not admit it. The cheap rules are evaluated first and
// the GitHub API is called only when none of them admits the account.
//
// A refusal is a *Refusal, which wraps upstream.ErrDenied and lists, in
// sentences meant for the person, why each kind of rule did not admit the
// account ("your GitHub account is not a member of the my-org
// organisation", "only verified e-mail addresses at example.com may sign
// in"). Any other error from Check is transient (GitHub unreachable, rate
// limited) and says nothing about the account; callers must not treat it
// as a refusal. An error wrapping upstream.ErrRevoked means GitHub no
// longer accepts the upstream token at all.
//
// # Login and refresh
//
// The same Policy decides at login and again at every refresh of a grant,
// so a person removed from the organisation loses access at the next
// refresh (within one access token lifetime). At refresh the account is
// what the grant recorded at login (subject, login, e-mail and whether it
// was verified, hosted domain), except for the GitHub rules, which ask
// GitHub again.
//
// Google's "hd" comes from the ID token; OpenID Connect providers put it on
// upstream.Identity.HostedDomain. Claims and ClaimsExchanger remain the
// form in which the callback hands it to the policy (a provider may still
// return claims beside the identity); no adapter is needed any more.
package allow
