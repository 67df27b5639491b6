package mcptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// SwapBearer adds "Authorization: Bearer <token>" to every request; the
// token can be swapped between requests, as a client does after a refresh.
type SwapBearer struct {
	mu    sync.Mutex
	Token string
	Base  http.RoundTripper
}

// Set swaps the token.
func (b *SwapBearer) Set(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Token = token
}

// RoundTrip implements http.RoundTripper.
func (b *SwapBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	token := b.Token
	b.mu.Unlock()
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return b.Base.RoundTrip(r)
}

// ConnectSSE opens a go-sdk client session over the legacy SSE transport
// of srv (GET /sse), bounded by the hang guard.
func ConnectSSE(t *testing.T, srv *httptest.Server, bearer *SwapBearer, opts *mcp.ClientSessionOptions) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-test-sse-client", Version: "0.0.1"}, nil)
	cs, err := client.Connect(Bounded(t), &mcp.SSEClientTransport{
		Endpoint:   srv.URL + "/sse",
		HTTPClient: &http.Client{Transport: bearer},
	}, opts)
	if err != nil {
		t.Fatalf("Connect over SSE: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// ReadBody reads the whole body of resp.
func ReadBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}
