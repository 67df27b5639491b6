package wire

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON error body of every refusal (RFC 6749 §5.2, reused
// by RFC 6750 §3 for the protected resource).
type ErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// WriteError writes code and description as the JSON error body, with
// status and the no-store headers of WriteJSON. Headers that belong to
// the refusal (WWW-Authenticate, Retry-After, Allow) must be set before.
// description is shown to clients: it never carries a token, a code, a
// secret or an internal error message.
func WriteError(w http.ResponseWriter, status int, code, description string) {
	WriteJSON(w, status, ErrorBody{Error: code, ErrorDescription: description})
}

// WriteJSON writes v as JSON with the headers every OAuth answer carries
// (RFC 6749 §5.1): no caching anywhere.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs reach here; they always marshal.
		status = http.StatusInternalServerError
		body = []byte(`{"error":"server_error"}`)
	}
	WriteJSONBytes(w, status, body)
}

// WriteJSONBytes writes an already encoded JSON body with the headers of
// WriteJSON.
func WriteJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(body) // a write error means the client went away
}
