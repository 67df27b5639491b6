package protected

import (
	"context"
	"encoding/base32"
	"net/http"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// readCountingTokens counts the two ways the bearer check reads a token.
type readCountingTokens struct {
	tokens.TokenStore
	plain, use int
}

func (s *readCountingTokens) GetAccessGrant(ctx context.Context, grantID, hash string) (tokens.AccessToken, tokens.Grant, error) {
	s.plain++
	return s.TokenStore.GetAccessGrant(ctx, grantID, hash)
}

func (s *readCountingTokens) UseAccess(ctx context.Context, grantID, hash string) (tokens.AccessUse, error) {
	s.use++
	return s.TokenStore.UseAccess(ctx, grantID, hash)
}

// TestBearerReadsByLifetimeHint: a token minted with a fixed lifetime
// (tokens.FixedAccess) is read with one plain read, any other with
// UseAccess, and a token that carries the hint but whose record is
// sliding (one minted before the hint, by chance) is read again with
// UseAccess, so its use is still recorded.
func TestBearerReadsByLifetimeHint(t *testing.T) {
	b32 := base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	hinted := "mcpgate_at_{grant}_" + b32.EncodeToString(append([]byte{0xf1, 0xed}, make([]byte, 32)...))
	unhinted := "mcpgate_at_{grant}_" + b32.EncodeToString(append([]byte{0x01, 0x02}, make([]byte, 30)...))
	tests := []struct {
		name            string
		o               mcpIssueOptions
		wantPlain, want int
	}{
		{"hinted fixed token", mcpIssueOptions{access: hinted}, 1, 0},
		{"unhinted fixed token", mcpIssueOptions{access: unhinted}, 0, 1},
		{"unhinted sliding token", mcpIssueOptions{access: unhinted, idle: 24 * time.Hour}, 0, 1},
		{"hinted sliding token", mcpIssueOptions{access: hinted, idle: 24 * time.Hour}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counting := &readCountingTokens{}
			f := newMCPFixture(t, func(h *MCP) { h.Tokens = counting })
			counting.TokenStore = f.store
			tok := f.issue(t, tt.o)
			if tokens.FixedAccess(tok.access) != (tt.o.access == hinted) {
				t.Fatalf("FixedAccess(%s) disagrees with the test's token", tok.access)
			}
			if resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", tok.access)); resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if counting.plain != tt.wantPlain || counting.use != tt.want {
				t.Errorf("GetAccessGrant %d, UseAccess %d; want %d and %d", counting.plain, counting.use, tt.wantPlain, tt.want)
			}
		})
	}
}
