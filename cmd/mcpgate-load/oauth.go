package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// metadata is the part of the authorization server metadata (RFC 8414
// §2) a client needs.
type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
}

// failureKind names an error for the per-operation failure counts.
func failureKind(err error) string {
	if hf, ok := errors.AsType[*loadclient.HTTPFailure](err); ok {
		return fmt.Sprintf("HTTP %d", hf.Status)
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
	if err := loadclient.DoJSON(hc, req, http.StatusOK, &md); err != nil {
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
