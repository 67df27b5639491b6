package upstream

import "regexp"

// NameRule says in words what ValidName checks, for error messages.
const NameRule = "1 to 32 lower-case letters, digits or dashes, starting with a letter"

// namePattern is the one definition of a provider name: it is the
// provider's callback path segment (/oauth/callback/{name}), the prefix of
// its users' IDs and of allowlist users entries, so it must be a safe path
// segment without a colon.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// ValidName reports whether name can name a provider (NameRule).
func ValidName(name string) bool { return namePattern.MatchString(name) }

// domainPattern is a lower-case DNS name of at least two labels (RFC 1035
// §2.3.1 labels of at most 63 letters, digits and inner dashes): e-mail
// and Google Workspace domains as allowlists and hosted-domain checks
// compare them.
var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// ValidDomain reports whether d is a lower-case domain name such as
// example.com. Callers that accept any case lower it first.
func ValidDomain(d string) bool { return domainPattern.MatchString(d) }
