package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswerBytes bounds every API answer the load generator reads.
const maxAnswerBytes = 4 << 20

// metadata is the part of the authorization server metadata (RFC 8414
// §2) a client needs.
type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
}

// tokenAnswer is a token endpoint answer (RFC 6749 §5.1, §5.2).
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

// httpFailure is an answer with an unexpected status.
type httpFailure struct {
	status int
	detail string
}

func (e *httpFailure) Error() string { return fmt.Sprintf("HTTP %d %s", e.status, e.detail) }

// failureKind names an error for the per-operation failure counts.
func failureKind(err error) string {
	if hf, ok := errors.AsType[*httpFailure](err); ok {
		return fmt.Sprintf("HTTP %d", hf.status)
	}
	return "no answer"
}

// discover reads the authorization server metadata at the public URL and
// checks that every endpoint is on loopback.
func discover(ctx context.Context, hc *http.Client, public string) (metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, public+"/.well-known/oauth-authorization-server", nil)
	if err != nil {
		return metadata{}, err
	}
	var md metadata
	if err := doJSON(hc, req, http.StatusOK, &md); err != nil {
		return metadata{}, fmt.Errorf("authorization server metadata: %w", err)
	}
	for name, u := range map[string]string{
		"authorization_endpoint": md.AuthorizationEndpoint, "token_endpoint": md.TokenEndpoint,
		"registration_endpoint": md.RegistrationEndpoint,
	} {
		if _, err := loopbackURL(u, "http", "https"); err != nil {
			return metadata{}, fmt.Errorf("metadata %s: %w", name, err)
		}
	}
	return md, nil
}

// onReplica moves endpoint (an absolute URL at the public origin) to the
// replica's origin, as a load balancer would route it.
func onReplica(endpoint, replica string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	return replica + u.RequestURI()
}

// register registers a public client (RFC 7591) and returns its client_id.
func register(ctx context.Context, hc *http.Client, endpoint, redirectURI string, n int) (string, error) {
	body, err := json.Marshal(map[string]any{
		"client_name":                fmt.Sprintf("mcpgate-load client %d", n),
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if err := doJSON(hc, req, http.StatusCreated, &reg); err != nil {
		return "", err
	}
	if reg.ClientID == "" {
		return "", &httpFailure{status: http.StatusCreated, detail: "registration without a client_id"}
	}
	return reg.ClientID, nil
}

// newPKCE returns a code verifier and its S256 challenge (RFC 7636 §4).
func newPKCE() (verifier, challenge string) {
	verifier = randomString()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomString is 32 random bytes, base64url.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorizationURL builds the authorization request (OAuth 2.1 §4.1.1).
func authorizationURL(md metadata, clientID, redirectURI, challenge, state, resource string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"state":                 {state},
		"resource":              {resource},
	}
	sep := "?"
	if strings.Contains(md.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	return md.AuthorizationEndpoint + sep + q.Encode()
}

// tokenRequest posts form to a token endpoint and wants new tokens.
func tokenRequest(ctx context.Context, hc *http.Client, endpoint string, form url.Values) (tokenAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var ta tokenAnswer
	if err := doJSON(hc, req, http.StatusOK, &ta); err != nil {
		return tokenAnswer{}, err
	}
	if ta.AccessToken == "" || ta.RefreshToken == "" {
		return tokenAnswer{}, &httpFailure{status: http.StatusOK, detail: "token answer without both tokens"}
	}
	return ta, nil
}

// doJSON sends req and decodes a JSON answer with status want. Any other
// status is an *httpFailure naming the OAuth error code when there is one.
func doJSON(hc *http.Client, req *http.Request, want int, dst any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(body, &e) // best effort: the code is only for the report
		return &httpFailure{status: resp.StatusCode, detail: e.Error}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return &httpFailure{status: resp.StatusCode, detail: "undecodable JSON answer"}
	}
	return nil
}
