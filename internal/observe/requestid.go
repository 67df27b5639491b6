package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// HeaderRequestID is the request ID header, honoured and echoed.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLen bounds an incoming request ID: longer ones are replaced,
// so a client cannot inflate every log line it causes.
const maxRequestIDLen = 64

type requestIDKey struct{}

// RequestID is the ID of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestIDFrom keeps an incoming ID when it is sane (1 to 64 of
// A-Z a-z 0-9 - _ . : / +, as load balancers and tracing proxies produce:
// UUIDs, hex, "Root=1-…"), so that a log line can be matched with the
// proxy's; anything else (control characters that could forge log lines,
// quotes, spaces, overlong values) gets a fresh random ID.
func requestIDFrom(incoming string) string {
	if saneRequestID(incoming) {
		return incoming
	}
	return newRequestID()
}

func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
