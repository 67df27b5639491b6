package loadclient

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxAnswerBytes bounds every answer the client reads.
const MaxAnswerBytes = 4 << 20

// HTTPFailure is an answer other than the one expected: its status, and
// a short detail for a report (never a token: answers carrying tokens are
// the expected ones).
type HTTPFailure struct {
	Status int
	Detail string
}

func (e *HTTPFailure) Error() string { return fmt.Sprintf("HTTP %d %s", e.Status, e.Detail) }

// DoJSON sends req with hc and decodes a JSON answer with status want into
// dst. Any other status is an *HTTPFailure whose detail is the OAuth error
// (RFC 6749 §5.2) when the body is one, else the body's first line.
func DoJSON(hc *http.Client, req *http.Request, want int, dst any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return &HTTPFailure{Status: resp.StatusCode, Detail: errorDetail(body)}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return &HTTPFailure{Status: resp.StatusCode, Detail: "undecodable JSON answer"}
	}
	return nil
}

// errorDetail describes an error answer: "code: description" of an OAuth
// error, else the first line of the body.
func errorDetail(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if e.Description != "" {
			return Excerpt([]byte(e.Error + ": " + e.Description))
		}
		return Excerpt([]byte(e.Error))
	}
	return Excerpt(body)
}

// Excerpt is the first line of b, at most 200 bytes of it: an answer's
// detail for a report.
func Excerpt(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
