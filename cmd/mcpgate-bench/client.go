package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Parts of a client, copied in small from cmd/mcpgate-load (package main,
// so not importable): a loopback-only transport, the stateless MCP POST,
// and the OAuth requests of a client.

const (
	// protocolVersion is the MCP revision the benchmark's requests carry.
	protocolVersion = "2025-06-18"
	// maxAnswerBytes bounds every answer read.
	maxAnswerBytes = 4 << 20
	// redirectURI is every benchmark client's registered redirect URI:
	// loopback, never contacted (the browser stops when sent there).
	redirectURI = "http://127.0.0.1:9/mcpgate-bench/callback"
)

var errNotLoopback = errors.New("mcpgate-bench dials loopback addresses only")

// newTransport can dial loopback addresses only and keeps up to conns
// connections to each server: one per connection of the load, reused.
func newTransport(conns int) *http.Transport {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("%w: refused %s", errNotLoopback, address)
			}
			return nil
		},
	}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}
}

// newClient never follows redirects: API answers are read as they come.
func newClient(t http.RoundTripper) *http.Client {
	return &http.Client{Transport: t, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// httpFailure is an answer other than the one expected.
type httpFailure struct {
	status int
	detail string
}

func (e *httpFailure) Error() string { return fmt.Sprintf("HTTP %d %s", e.status, e.detail) }

// rpcAnswer is the part of a JSON-RPC response the benchmark checks.
type rpcAnswer struct {
	Result *struct {
		IsError bool `json:"isError"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// mcpPost posts one JSON-RPC request, as a client of the streamable HTTP
// transport does, and checks that the answer (JSON or SSE) is a result and
// not a tool error.
func mcpPost(ctx context.Context, hc *http.Client, endpoint, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &httpFailure{status: resp.StatusCode, detail: firstLine(raw)}
	}
	msg := raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		if msg = sseData(raw); msg == nil {
			return &httpFailure{status: resp.StatusCode, detail: "an event stream without a message"}
		}
	}
	var a rpcAnswer
	if err := json.Unmarshal(msg, &a); err != nil {
		return &httpFailure{status: resp.StatusCode, detail: "undecodable JSON-RPC answer"}
	}
	switch {
	case a.Error != nil:
		return &httpFailure{status: resp.StatusCode, detail: fmt.Sprintf("JSON-RPC error %d: %s", a.Error.Code, a.Error.Message)}
	case a.Result == nil:
		return &httpFailure{status: resp.StatusCode, detail: "a JSON-RPC answer without a result"}
	case a.Result.IsError:
		return &httpFailure{status: resp.StatusCode, detail: "tool error: " + firstLine(msg)}
	}
	return nil
}

// sseData is the data of the first event that carries any (the answer of
// a one-request stream; the servers measured send no notifications).
func sseData(raw []byte) []byte {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), maxAnswerBytes)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 && data != nil {
			return data
		}
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(v, []byte(" "))...)
		}
	}
	return data
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// tokenAnswer is a token endpoint's answer (RFC 6749 §5.1).
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ClientID     string `json:"client_id"` // the floor's seed names its client
}

// clientCreds is a registered client: ClientSecret is "" for a public one.
type clientCreds struct {
	ClientID, ClientSecret string
}

// form adds the client's authentication to a token request:
// client_secret_post for a confidential client, as Claude registers.
func (c clientCreds) form(v url.Values) url.Values {
	v.Set("client_id", c.ClientID)
	if c.ClientSecret != "" {
		v.Set("client_secret", c.ClientSecret)
	}
	return v
}

// tokenRequest posts a token request and wants both tokens back.
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
		return tokenAnswer{}, &httpFailure{status: http.StatusOK, detail: "a token answer without both tokens"}
	}
	return ta, nil
}

// register registers a client (RFC 7591): public with auth method "none",
// else confidential with client_secret_post.
func register(ctx context.Context, hc *http.Client, endpoint string, confidential bool, n int) (clientCreds, error) {
	method := "none"
	if confidential {
		method = "client_secret_post"
	}
	body, _ := json.Marshal(map[string]any{
		"client_name":                fmt.Sprintf("mcpgate-bench client %d", n),
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": method,
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return clientCreds{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := doJSON(hc, req, http.StatusCreated, &reg); err != nil {
		return clientCreds{}, fmt.Errorf("registration: %w", err)
	}
	if reg.ClientID == "" || confidential != (reg.ClientSecret != "") {
		return clientCreds{}, fmt.Errorf("registration: unexpected answer (client_id %q, secret given %t)", reg.ClientID, reg.ClientSecret != "")
	}
	return clientCreds{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret}, nil
}

// doJSON sends req and decodes a JSON answer with status want.
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
		return &httpFailure{status: resp.StatusCode, detail: firstLine(body)}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return &httpFailure{status: resp.StatusCode, detail: "undecodable JSON answer"}
	}
	return nil
}

// newPKCE returns a code verifier and its S256 challenge (RFC 7636 §4).
func newPKCE() (verifier, challenge string) {
	verifier = randomString()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorizationURL builds the authorization request (OAuth 2.1 §4.1.1).
func authorizationURL(endpoint, clientID, challenge, state, resource string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"state":                 {state},
	}
	if resource != "" {
		q.Set("resource", resource)
	}
	return endpoint + "?" + q.Encode()
}
