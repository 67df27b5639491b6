package oidc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/internal/tokenresp"
)

// Refresh uses the refresh token (RFC 6749 §6) for a new access token.
// A rotated refresh token in the response replaces the old one, which the
// caller must store before using the new access token; when the response
// has none (Google), the old one is kept. An ID token in the response
// replaces the stored one; when the response has none, the previous one
// is kept as it is (even if expired): a backend that takes the ID token
// checks its "exp" itself, and mcpgate refreshes again when the backend
// refuses it.
//
// invalid_grant (revoked, expired or already rotated refresh token), a
// refresh token past its known expiry, and an expired token without a
// refresh token are upstream.ErrRevoked. A token without a refresh token
// that has not expired is returned unchanged. Other failures (network,
// invalid_client) are plain errors: the grant may still be good.
func (p *Provider) Refresh(ctx context.Context, t upstream.Token) (upstream.Token, error) {
	if t.RefreshToken == "" {
		if t.Expired(p.now()) {
			return upstream.Token{}, fmt.Errorf("%s: token expired and has no refresh token: %w", p.name, upstream.ErrRevoked)
		}
		return t, nil
	}
	requested := p.now()
	if !t.RefreshExpiry.IsZero() && !requested.Before(t.RefreshExpiry) {
		return upstream.Token{}, fmt.Errorf("%s: refresh token expired: %w", p.name, upstream.ErrRevoked)
	}
	src := p.oauth.TokenSource(p.clientContext(ctx), &oauth2.Token{RefreshToken: t.RefreshToken})
	tok, err := src.Token()
	if err != nil {
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok && re.ErrorCode == "invalid_grant" {
			return upstream.Token{}, fmt.Errorf("%s: refresh rejected (%s): %w", p.name, re.ErrorCode, upstream.ErrRevoked)
		}
		return upstream.Token{}, fmt.Errorf("%s: refresh token: %w", p.name, tokenresp.Describe(err))
	}
	next := p.convert(tok, requested, t.Scopes)
	if next.RefreshToken == "" || next.RefreshToken == t.RefreshToken {
		// Not rotated: the old refresh token and its known expiry stand.
		next.RefreshToken = t.RefreshToken
		if next.RefreshExpiry.IsZero() {
			next.RefreshExpiry = t.RefreshExpiry
		}
	}
	if next.IDToken == "" {
		next.IDToken = t.IDToken
	}
	return next, nil
}

// convert maps an oauth2 token to upstream.Token. The expiry is computed
// from expires_in on the injected clock. "scope" (space separated, RFC
// 6749 §5.1) replaces keep when present. Keycloak's refresh_expires_in
// (seconds, 0 for offline tokens) gives RefreshExpiry. "id_token" gives
// IDToken (verified by ExchangeClaims at sign-in; on refresh it is passed
// on as the provider sent it, for the backend to verify).
func (p *Provider) convert(tok *oauth2.Token, requested time.Time, keep []string) upstream.Token {
	t := upstream.Token{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
		Scopes:       append([]string(nil), keep...),
	}
	t.IDToken, _ = tok.Extra("id_token").(string)
	if tok.ExpiresIn > 0 {
		t.Expiry = requested.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if secs, ok := tokenresp.Seconds(tok.Extra("refresh_expires_in")); ok && secs > 0 {
		t.RefreshExpiry = requested.Add(time.Duration(secs) * time.Second)
	}
	if raw, ok := tok.Extra("scope").(string); ok && strings.TrimSpace(raw) != "" {
		t.Scopes = strings.Fields(raw)
	}
	return t
}
