package github

import (
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v92/github"
)

// NewClient returns a go-github client that calls APIBaseURL with token,
// through the configured HTTP client, as user agent "mcpgate". Build one
// per user and request: go-github keeps rate-limit state per client.
func (p *Provider) NewClient(token string) (*gh.Client, error) {
	if token == "" {
		return nil, errors.New("github: empty access token")
	}
	opts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(p.httpClient),
		gh.WithAuthToken(token),
		gh.WithUserAgent(userAgent),
	}
	if p.host != "" {
		opts = append(opts, gh.WithEnterpriseURLs(p.apiBase, p.web+"/"))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("github: build API client: %w", err)
	}
	return c, nil
}

// Transport is the HTTP transport API calls go through, without
// authentication: a caller that wraps it (to add and renew the token
// itself) builds its client with gh.WithTransport.
func (p *Provider) Transport() http.RoundTripper {
	if p.httpClient != nil && p.httpClient.Transport != nil {
		return p.httpClient.Transport
	}
	return http.DefaultTransport
}
