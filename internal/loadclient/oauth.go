package loadclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Client is a registered OAuth client: Secret is "" for a public one.
type Client struct {
	ID, Secret string
}

// Form adds the client's identification to a token request: client_id,
// and client_secret_post for a confidential client (as Claude registers).
func (c Client) Form(v url.Values) url.Values {
	v.Set("client_id", c.ID)
	if c.Secret != "" {
		v.Set("client_secret", c.Secret)
	}
	return v
}

// Registration is what Register asks for.
type Registration struct {
	Name        string // client_name
	RedirectURI string
	// Confidential registers with client_secret_post; else the client is
	// public (token_endpoint_auth_method "none").
	Confidential bool
}

// Register registers a client for the authorization code and refresh
// token grants (RFC 7591) at endpoint, and checks that the answer is the
// kind of client asked for: a client_id, and a secret exactly when
// confidential.
func Register(ctx context.Context, hc *http.Client, endpoint string, r Registration) (Client, error) {
	method := "none"
	if r.Confidential {
		method = "client_secret_post"
	}
	body, err := json.Marshal(map[string]any{
		"client_name":                r.Name,
		"redirect_uris":              []string{r.RedirectURI},
		"token_endpoint_auth_method": method,
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
	})
	if err != nil {
		return Client{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Client{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := DoJSON(hc, req, http.StatusCreated, &reg); err != nil {
		return Client{}, err
	}
	if reg.ClientID == "" || r.Confidential != (reg.ClientSecret != "") {
		return Client{}, &HTTPFailure{Status: http.StatusCreated, Detail: fmt.Sprintf(
			"unexpected registration (client_id %q, secret given %t)", reg.ClientID, reg.ClientSecret != "")}
	}
	return Client{ID: reg.ClientID, Secret: reg.ClientSecret}, nil
}

// NewPKCE returns a code verifier and its S256 challenge (RFC 7636 §4).
func NewPKCE() (verifier, challenge string) {
	verifier = RandomString()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomString is 32 random bytes, base64url: a PKCE verifier or a state.
func RandomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthorizationRequest is an authorization request with PKCE S256 (OAuth
// 2.1 §4.1.1).
type AuthorizationRequest struct {
	ClientID, RedirectURI, Challenge, State string
	// Resource is the resource indicator (RFC 8707); "" for none.
	Resource string
}

// URL is the request at the authorization endpoint, whose own query (if
// any) it keeps.
func (r AuthorizationRequest) URL(endpoint string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {r.ClientID},
		"redirect_uri":          {r.RedirectURI},
		"code_challenge":        {r.Challenge},
		"code_challenge_method": {"S256"},
		"state":                 {r.State},
	}
	if r.Resource != "" {
		q.Set("resource", r.Resource)
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q.Encode()
}

// Tokens is a token endpoint's answer (RFC 6749 §5.1).
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// ClientID is not in RFC 6749's answer; the benchmark's floor server
	// names the client of the grant it seeds with it.
	ClientID string `json:"client_id"`
}

// TokenRequest posts form to a token endpoint and wants both tokens back:
// a code exchange (RFC 6749 §4.1.3) or a refresh (§6).
func TokenRequest(ctx context.Context, hc *http.Client, endpoint string, form url.Values) (Tokens, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json") // GitHub answers a form otherwise
	var t Tokens
	if err := DoJSON(hc, req, http.StatusOK, &t); err != nil {
		return Tokens{}, err
	}
	if t.AccessToken == "" || t.RefreshToken == "" {
		return Tokens{}, &HTTPFailure{Status: http.StatusOK, Detail: "a token answer without both tokens"}
	}
	return t, nil
}

// Redeem exchanges the code that answered authorization request ar, with
// its PKCE verifier (RFC 6749 §4.1.3, RFC 7636 §4.5), repeating ar's
// redirect URI and resource.
func Redeem(ctx context.Context, hc *http.Client, endpoint string, c Client, ar AuthorizationRequest, code, verifier string) (Tokens, error) {
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {ar.RedirectURI},
		"code_verifier": {verifier},
	}
	if ar.Resource != "" {
		form.Set("resource", ar.Resource)
	}
	return TokenRequest(ctx, hc, endpoint, c.Form(form))
}

// Refresh uses a refresh token (RFC 6749 §6).
func Refresh(ctx context.Context, hc *http.Client, endpoint string, c Client, refreshToken string) (Tokens, error) {
	return TokenRequest(ctx, hc, endpoint, c.Form(url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
	}))
}
