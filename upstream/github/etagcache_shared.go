package github

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// SharedCache is where a Provider's conditional-request answers are shared
// by every replica (Config.SharedCache), so that a file or issue one
// replica read is revalidated with a 304 by another. The stores of package
// tokens implement it (tokens.ConditionalCache, in tokens/memory and
// tokens/redis); it is declared here so that this package needs no store.
//
// The store sees no request and no answer in clear. From the person's
// upstream access token this package derives, with HKDF-SHA256, a naming
// key and a sealing key: user is HMAC(naming key, "user"), entry is
// HMAC(naming key, Accept and URL), and the value (ETag, headers, body) is
// sealed with AES-256-GCM under the sealing key, bound to user and entry.
// A copy of the store without the token cannot tell whose entries are
// whose, what was asked, or read an answer; with the token it could ask
// GitHub directly anyway. Answers are replayed only after GitHub's 304, to
// the token that fetched them. A token GitHub replaced (a GitHub App's
// refreshed user token) starts a new, empty cache; the old entries lapse.
type SharedCache interface {
	// GetETag returns the value stored under user and entry, or nil.
	GetETag(ctx context.Context, user, entry string) ([]byte, error)
	// PutETag stores value; the store keeps each user's entries for ttl
	// after their last Put, within maxBytes.
	PutETag(ctx context.Context, user, entry string, value []byte, ttl time.Duration, maxBytes int) error
}

// Bounds of the shared cache.
const (
	// SharedCacheTTL is how long a user's shared entries live after their
	// last new answer.
	SharedCacheTTL = 24 * time.Hour
	// SharedCacheUserBytes bounds one user's shared entries.
	SharedCacheUserBytes = 4 << 20
	// maxSharedBody is the largest body shared; larger answers stay in
	// the process's own cache only.
	maxSharedBody = 512 << 10
	// sharedCacheTimeout bounds each store call, so that a slow store
	// delays a GitHub request by at most this much; a failed or slow
	// lookup sends the request unconditionally.
	sharedCacheTimeout = 300 * time.Millisecond
)

// An etagEntry is sealed as
//
//	uint32 length of the ETag, ETag, uint32 length of the headers,
//	headers (JSON), body
//
// (big-endian lengths): the body, most of the bytes, is not encoded again.

// etagSealer names and seals one token's shared entries.
type etagSealer struct {
	nameKey []byte
	aead    cipher.AEAD
	user    string
}

var errSharedEntry = errors.New("github: shared cache entry does not open")

// newETagSealer derives the keys of token's shared entries.
func newETagSealer(token string) (*etagSealer, error) {
	nameKey, err := hkdf.Key(sha256.New, []byte(token), nil, "mcpgate github conditional cache v1 names", 32)
	if err != nil {
		return nil, err
	}
	sealKey, err := hkdf.Key(sha256.New, []byte(token), nil, "mcpgate github conditional cache v1 seal", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &etagSealer{nameKey: nameKey, aead: aead}
	s.user = s.mac("user")[:32]
	return s, nil
}

func (s *etagSealer) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.nameKey)
	for _, p := range parts {
		io.WriteString(m, p)
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// entry names the answer to r.
func (s *etagSealer) entry(r *http.Request) string {
	return s.mac("entry", r.Header.Get("Accept"), r.URL.String())
}

func (s *etagSealer) seal(entry string, e *etagEntry) ([]byte, error) {
	header, err := json.Marshal(e.header)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, 0, 8+len(e.etag)+len(header)+len(e.body))
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(e.etag)))
	plain = append(plain, e.etag...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(header)))
	plain = append(plain, header...)
	plain = append(plain, e.body...)
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(s.user+"/"+entry)), nil
}

func (s *etagSealer) open(entry string, sealed []byte) (*etagEntry, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errSharedEntry
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(s.user+"/"+entry))
	if err != nil {
		return nil, errSharedEntry
	}
	etag, rest, ok := cutLengthPrefixed(plain)
	if !ok || len(etag) == 0 {
		return nil, errSharedEntry
	}
	header, body, ok := cutLengthPrefixed(rest)
	if !ok {
		return nil, errSharedEntry
	}
	e := &etagEntry{etag: string(etag), body: body}
	if err := json.Unmarshal(header, &e.header); err != nil {
		return nil, errSharedEntry
	}
	return e, nil
}

// cutLengthPrefixed splits b after its uint32-length-prefixed first part.
func cutLengthPrefixed(b []byte) (part, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// sharedGet looks r's answer up in the shared cache. Any failure is a
// miss: the request then goes to GitHub unconditionally.
func (c *etagCache) sharedGet(r *http.Request, s *etagSealer, entry string) *etagEntry {
	ctx, cancel := context.WithTimeout(r.Context(), sharedCacheTimeout)
	defer cancel()
	sealed, err := c.shared.GetETag(ctx, s.user, entry)
	if err != nil || sealed == nil {
		return nil
	}
	e, err := s.open(entry, sealed)
	if err != nil {
		return nil
	}
	return e
}

// sharedPut shares an answer; a failure only costs a later full request.
func (c *etagCache) sharedPut(r *http.Request, s *etagSealer, entry string, e *etagEntry) {
	if len(e.body) > maxSharedBody {
		return
	}
	sealed, err := s.seal(entry, e)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), sharedCacheTimeout)
	defer cancel()
	_ = c.shared.PutETag(ctx, s.user, entry, sealed, SharedCacheTTL, SharedCacheUserBytes)
}
