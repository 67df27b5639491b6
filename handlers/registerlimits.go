package handlers

import (
	"encoding/json"
	"fmt"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// Size limits on what strangers can make mcpgate store (issue 10.3).
// Registration is open and unauthenticated, and a pending sign-in is
// stored before anybody has signed in, so every field that is kept has a
// tight bound; the bounds are generous for real clients (Claude registers
// about 250 bytes with one redirect URI, mcp-remote and MCP Inspector
// under 500 bytes with two; their state values are 43 to about 200
// characters). README "Abuse limits" lists them with the resulting
// bytes per registration and per pending sign-in.
const (
	// maxRegistrationBytes bounds a /register body (RFC 7591 §2 metadata
	// as JSON). Members we ignore (jwks, application_type, …) count too.
	maxRegistrationBytes = 8 << 10
	// maxClientNameLen bounds client_name, in bytes.
	maxClientNameLen = 128
	// maxRedirectURIs bounds redirect_uris, counted as sent (duplicates
	// included); maxRedirectURILen bounds each one.
	maxRedirectURIs   = 10
	maxRedirectURILen = 512
	// maxWebURILen bounds client_uri, logo_uri, tos_uri, policy_uri and
	// jwks_uri (the last three are read only to bound them; they are not
	// stored).
	maxWebURILen = 512
	// maxContacts and maxContactLen bound contacts (not stored).
	maxContacts   = 5
	maxContactLen = 256
	// maxScopeParamLen bounds the scope parameter of a registration and
	// of an authorization request as sent, before it is reduced to the
	// supported scopes.
	maxScopeParamLen = 1024
	// maxSoftwareLen bounds software_id and software_version.
	maxSoftwareLen = 128
	// maxTypeEntries bounds grant_types and response_types as sent.
	maxTypeEntries = 4
	// maxStateLen bounds the client's state at /authorize: it is stored
	// with the pending sign-in until the callback.
	maxStateLen = 1024

	// maxStoredClientBytes is what one registration at every limit above
	// stores as JSON, rounded up (TestRegistrationStoredSizeBound checks
	// it): the README's per-registration figure.
	maxStoredClientBytes = 7 << 10
)

// checkUnstoredSizes bounds the metadata members that are read only to be
// bounded: tos_uri, policy_uri and jwks_uri (their JSON text, whatever its
// type) and contacts (entries of an array; anything else is ignored).
func checkUnstoredSizes(req registrationRequest) *oauthError {
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"tos_uri", req.TOSURI}, {"policy_uri", req.PolicyURI}, {"jwks_uri", req.JWKSURI}} {
		if len(f.raw) > maxWebURILen+len(`""`) {
			return badRequest(wire.InvalidClientMetadata, fmt.Sprintf("%s is longer than %d bytes", f.name, maxWebURILen))
		}
	}
	var contacts []json.RawMessage
	if json.Unmarshal(req.Contacts, &contacts) != nil {
		return nil
	}
	if len(contacts) > maxContacts {
		return badRequest(wire.InvalidClientMetadata, fmt.Sprintf("contacts may list at most %d entries", maxContacts))
	}
	for _, c := range contacts {
		if len(c) > maxContactLen+len(`""`) {
			return badRequest(wire.InvalidClientMetadata, fmt.Sprintf("each of contacts may be at most %d bytes", maxContactLen))
		}
	}
	return nil
}
