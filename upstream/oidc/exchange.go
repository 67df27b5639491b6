package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/internal/tokenresp"
)

// Claims are the validated ID token claims (completed from the userinfo
// endpoint where the ID token lacks the email) that allowlists need
// beyond upstream.Identity.
type Claims struct {
	// Issuer is the ID token's "iss": the discovered issuer, or the
	// tenant's own issuer with Config.SkipIssuerCheck.
	Issuer string
	// Subject is "sub", the stable user identifier at this issuer.
	Subject string
	// Email and EmailVerified are "email" and "email_verified". Only a
	// verified address may be matched against an email-domain allowlist.
	Email         string
	EmailVerified bool
	// HostedDomain is Google's "hd": the Google Workspace domain of the
	// account, empty for consumer accounts. Unlike the email's domain it
	// is asserted by Google for the whole account.
	HostedDomain string
	// TenantID is Entra ID's "tid".
	TenantID string
	// Groups is the "groups" claim (Keycloak, Okta, Entra with a groups
	// claim configured), nil when absent or not a list of strings.
	Groups []string
}

// rawClaims is how the claims are read from the ID token and userinfo.
type rawClaims struct {
	Issuer            string          `json:"iss"`
	Subject           string          `json:"sub"`
	AuthorizedParty   string          `json:"azp"`
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	Name              string          `json:"name"`
	PreferredUsername string          `json:"preferred_username"`
	HostedDomain      string          `json:"hd"`
	TenantID          string          `json:"tid"`
	Groups            json.RawMessage `json:"groups"`
}

// Exchange redeems code with its PKCE verifier (RFC 6749 §4.1.3, RFC 7636
// §4.5), validates the ID token against nonce, and says who signed in.
// See ExchangeClaims.
func (p *Provider) Exchange(ctx context.Context, code, codeVerifier, nonce string) (upstream.Identity, upstream.Token, error) {
	id, tok, _, err := p.ExchangeClaims(ctx, code, codeVerifier, nonce)
	return id, tok, err
}

// ExchangeClaims is Exchange that also returns the claims allowlists need
// (hosted domain, tenant, groups).
//
// The token response must carry an ID token. It is validated as OpenID
// Connect Core 1.0 §3.1.3.7 requires: by go-oidc for signature (with the
// issuer's published keys), issuer, audience (must contain the client
// ID) and expiry, then here for what go-oidc leaves to its caller: the
// nonce must equal nonce (§3.1.2.1, compared in constant time; an empty
// nonce is refused), "azp" must be the client ID when present and is
// required when there are several audiences, and "sub" must be present.
// Config.SkipIssuerCheck, Config.HostedDomain and Config.AllowedTenants
// are enforced last. ID token problems wrap ErrIDToken; a refused domain
// or tenant wraps upstream.ErrDenied.
//
// When the ID token has no email, or an email without email_verified,
// and the issuer has a userinfo endpoint, the missing values are read
// from it (§5.3); its "sub" must equal the ID token's (§5.3.2). "true" and
// "false" strings are accepted for email_verified (Cognito sends them).
//
// Identity.Subject is "sub"; Login is "preferred_username", else the
// email, else "sub".
func (p *Provider) ExchangeClaims(ctx context.Context, code, codeVerifier, nonce string) (upstream.Identity, upstream.Token, Claims, error) {
	var (
		noID     upstream.Identity
		noTok    upstream.Token
		noClaims Claims
	)
	if code == "" {
		return noID, noTok, noClaims, fmt.Errorf("%s: empty authorization code", p.name)
	}
	if nonce == "" {
		return noID, noTok, noClaims, fmt.Errorf("%s: empty nonce: every login must send one", p.name)
	}
	var opts []oauth2.AuthCodeOption
	if codeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(codeVerifier))
	}
	requested := p.now()
	ctx = p.clientContext(ctx)
	tok, err := p.oauth.Exchange(ctx, code, opts...)
	if err != nil {
		return noID, noTok, noClaims, fmt.Errorf("%s: exchange authorization code: %w", p.name, tokenresp.Describe(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return noID, noTok, noClaims, fmt.Errorf("%s: %w", p.name, idTokenErr("the token response has no id_token"))
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return noID, noTok, noClaims, fmt.Errorf("%s: %w", p.name, verifyError(err))
	}
	var rc rawClaims
	if err := idt.Claims(&rc); err != nil {
		return noID, noTok, noClaims, fmt.Errorf("%s: %w", p.name, &idTokenError{reason: "claims are malformed", cause: err})
	}
	if err := p.checkIDToken(idt, rc, nonce); err != nil {
		return noID, noTok, noClaims, fmt.Errorf("%s: %w", p.name, err)
	}
	verified, hasVerified := parseBool(rc.EmailVerified)
	if (rc.Email == "" || !hasVerified) && p.userInfo != "" {
		if err := p.fillFromUserInfo(ctx, tok, &rc, &verified); err != nil {
			return noID, noTok, noClaims, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	claims := Claims{
		Issuer:        rc.Issuer,
		Subject:       rc.Subject,
		Email:         rc.Email,
		EmailVerified: verified && rc.Email != "",
		HostedDomain:  rc.HostedDomain,
		TenantID:      rc.TenantID,
		Groups:        parseGroups(rc.Groups),
	}
	if err := p.checkPolicy(claims); err != nil {
		return noID, noTok, noClaims, fmt.Errorf("%s: %w", p.name, err)
	}
	id := upstream.Identity{
		Subject:       rc.Subject,
		Login:         firstNonEmpty(rc.PreferredUsername, rc.Email, rc.Subject),
		Email:         claims.Email,
		EmailVerified: claims.EmailVerified,
		Name:          rc.Name,
		HostedDomain:  rc.HostedDomain,
	}
	return id, p.convert(tok, requested, p.oauth.Scopes), claims, nil
}

// checkIDToken does the OpenID Connect Core 1.0 §3.1.3.7 checks go-oidc
// leaves to its caller.
func (p *Provider) checkIDToken(idt *gooidc.IDToken, rc rawClaims, nonce string) error {
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return idTokenErr("nonce mismatch")
	}
	if rc.Subject == "" {
		return idTokenErr("no subject (sub)")
	}
	switch {
	case rc.AuthorizedParty != "" && rc.AuthorizedParty != p.oauth.ClientID:
		return idTokenErr("authorized party (azp) is not this client")
	case rc.AuthorizedParty == "" && len(idt.Audience) > 1:
		return idTokenErr("several audiences and no authorized party (azp)")
	}
	return p.verifyIssuer(rc)
}

// verifyIssuer checks "iss" when go-oidc could not (Config.SkipIssuerCheck):
// against the discovered issuer, or the Entra template with the token's
// own tenant.
func (p *Provider) verifyIssuer(rc rawClaims) error {
	if !p.skipIssuer {
		return nil // go-oidc compared it with the discovered issuer
	}
	want := p.issuer
	if p.template {
		if rc.TenantID == "" || strings.ContainsAny(rc.TenantID, "/{}") {
			return idTokenErr("no usable tenant (tid) for the multi-tenant issuer")
		}
		want = strings.ReplaceAll(p.issuer, tenantPlaceholder, rc.TenantID)
	}
	if rc.Issuer != want {
		return idTokenErr(fmt.Sprintf("issuer %q is not %q", rc.Issuer, want))
	}
	return nil
}

// checkPolicy enforces the configured hosted domain and tenants.
func (p *Provider) checkPolicy(c Claims) error {
	if p.hostedDomain != "" && !strings.EqualFold(c.HostedDomain, p.hostedDomain) {
		if c.HostedDomain == "" {
			return fmt.Errorf("account is not in the Google Workspace domain %q: %w", p.hostedDomain, upstream.ErrDenied)
		}
		return fmt.Errorf("account's hosted domain %q is not %q: %w", c.HostedDomain, p.hostedDomain, upstream.ErrDenied)
	}
	if len(p.allowedTenants) > 0 && !slices.Contains(p.allowedTenants, strings.ToLower(c.TenantID)) {
		return fmt.Errorf("tenant %q is not allowed: %w", c.TenantID, upstream.ErrDenied)
	}
	return nil
}

// fillFromUserInfo completes the email (and name, login) from the
// userinfo endpoint. A verification status is taken only for the address
// it belongs to.
func (p *Provider) fillFromUserInfo(ctx context.Context, tok *oauth2.Token, rc *rawClaims, verified *bool) error {
	ui, err := p.oidc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	var uc rawClaims
	if err := ui.Claims(&uc); err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if uc.Subject != rc.Subject {
		return errors.New("userinfo: subject differs from the ID token's")
	}
	uiVerified, _ := parseBool(uc.EmailVerified)
	switch {
	case rc.Email == "":
		rc.Email, *verified = uc.Email, uiVerified
	case strings.EqualFold(uc.Email, rc.Email):
		*verified = uiVerified
	}
	if rc.Name == "" {
		rc.Name = uc.Name
	}
	if rc.PreferredUsername == "" {
		rc.PreferredUsername = uc.PreferredUsername
	}
	if len(rc.Groups) == 0 {
		rc.Groups = uc.Groups
	}
	return nil
}

// parseBool reads a boolean claim that some issuers send as a string. It
// reports whether the claim was present; anything but true or "true" is
// false.
func parseBool(raw json.RawMessage) (value, present bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.EqualFold(s, "true"), true
	}
	return false, true
}

// parseGroups reads a list of strings, or a single string, and nil for
// anything else.
func parseGroups(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
