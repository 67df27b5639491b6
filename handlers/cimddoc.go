package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// isMetadataURL reports whether a client_id names a metadata document: an
// https URL with a path other than "/" (MCP 2025-11-25, "Client ID
// Metadata Documents").
func isMetadataURL(id string) bool {
	if !strings.HasPrefix(id, "https://") {
		return false
	}
	u, err := url.Parse(id)
	return err == nil && u.Host != "" && u.Path != "" && u.Path != "/"
}

// checkMetadataURL applies the rest of the draft's rules for client
// identifier URLs (§3): no fragment, no user info, no dot segments, and
// (ours) bounded length and no spaces or control characters. The message
// completes "its address …".
func checkMetadataURL(id string) error {
	if len(id) > maxMetadataURLLen {
		return fmt.Errorf("is longer than %d characters", maxMetadataURLLen)
	}
	for _, c := range id {
		if c <= ' ' || c == 0x7f {
			return errors.New("contains spaces or control characters")
		}
	}
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Hostname() == "":
		return errors.New("is not a valid https URL")
	case strings.Contains(id, "#"):
		return errors.New("must not contain a fragment")
	case u.User != nil:
		return errors.New("must not contain user information")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return errors.New("must not contain . or .. path segments")
		}
	}
	return nil
}

// metadataDocument is the part of a client ID metadata document we use.
// Every other member is ignored (draft §4.1). client_uri and logo_uri are
// cosmetic: a bad value is dropped rather than refused.
type metadataDocument struct {
	ClientID                string          `json:"client_id"`
	ClientName              string          `json:"client_name"`
	RedirectURIs            []string        `json:"redirect_uris"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	ClientURI               json.RawMessage `json:"client_uri"`
	LogoURI                 json.RawMessage `json:"logo_uri"`
}

// parseMetadataDocument validates the document fetched from docURL and
// returns the client it describes. Errors are our own words (they reach
// the error page) and never quote the document.
//
// Its cyclomatic complexity (above 15) is that of a parser: one check per
// field of the document, each with its own message.
func parseMetadataDocument(docURL string, body []byte) (tokens.Client, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return tokens.Client{}, errors.New("it is not a JSON object")
	}
	var doc metadataDocument
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return tokens.Client{}, fmt.Errorf("its %s has the wrong JSON type", typeErr.Field)
		}
		return tokens.Client{}, errors.New("it is not valid JSON")
	}
	if dec.More() {
		return tokens.Client{}, errors.New("it holds more than one JSON value")
	}
	if doc.ClientID != docURL {
		return tokens.Client{}, errors.New("its client_id does not equal the address it was fetched from")
	}
	name, oerr := cleanText("client_name", doc.ClientName, maxClientNameLen)
	if oerr != nil {
		return tokens.Client{}, errors.New(oerr.Description)
	}
	if name == "" {
		return tokens.Client{}, errors.New("it has no client_name")
	}
	if len(doc.RedirectURIs) == 0 {
		return tokens.Client{}, errors.New("it lists no redirect_uris")
	}
	if len(doc.RedirectURIs) > maxRedirectURIs {
		return tokens.Client{}, fmt.Errorf("it lists more than %d redirect_uris", maxRedirectURIs)
	}
	var uris []string
	for i, u := range doc.RedirectURIs {
		if err := validateRedirectURI(u); err != nil {
			return tokens.Client{}, fmt.Errorf("its redirect_uris[%d] %v", i, err)
		}
		if !slices.Contains(uris, u) {
			uris = append(uris, u)
		}
	}
	switch doc.TokenEndpointAuthMethod {
	case "", authMethodNone:
	case authMethodPrivateKeyJWT:
		return tokens.Client{}, errors.New("its token_endpoint_auth_method private_key_jwt is not supported; clients identified by a metadata document must be public clients (none) that use PKCE")
	default:
		return tokens.Client{}, errors.New("its token_endpoint_auth_method must be none; clients identified by a metadata document are public clients (none) that use PKCE")
	}
	u, err := url.Parse(docURL)
	if err != nil {
		return tokens.Client{}, errors.New("its address is not a valid https URL")
	}
	return tokens.Client{
		ID:                      docURL,
		Name:                    name + " (metadata from " + u.Host + ")",
		RedirectURIs:            uris,
		TokenEndpointAuthMethod: authMethodNone,
		GrantTypes:              []string{grantAuthorizationCode, grantRefreshToken},
		ResponseTypes:           []string{"code"},
		ClientURI:               optionalWebURL("client_uri", doc.ClientURI),
		LogoURI:                 optionalWebURL("logo_uri", doc.LogoURI),
	}, nil
}

// optionalWebURL returns raw when it is a JSON string holding an absolute
// http(s) URL, and "" otherwise.
func optionalWebURL(field string, raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	if v, oerr := webURL(field, s); oerr == nil {
		return v
	}
	return ""
}

// cacheTTL is how long a document may be cached: its Cache-Control
// max-age clamped to [cimdMinTTL, cimdMaxTTL]; no-store, no-cache and
// max-age=0 get the minimum (a document is needed twice within one
// authorization: at /authorize and at /token); cimdDefaultTTL without
// any of these.
func cacheTTL(h http.Header) time.Duration {
	ttl := cimdDefaultTTL
	for _, directive := range strings.Split(strings.Join(h.Values("Cache-Control"), ","), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "no-store", "no-cache":
			return cimdMinTTL
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(value), `"`), 10, 64)
			if err != nil || secs < 0 {
				continue
			}
			if secs > int64(cimdMaxTTL/time.Second) {
				secs = int64(cimdMaxTTL / time.Second)
			}
			ttl = time.Duration(secs) * time.Second
		}
	}
	return min(max(ttl, cimdMinTTL), cimdMaxTTL)
}
