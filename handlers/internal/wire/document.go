package wire

import (
	"encoding/json"
	"net/http"
)

// documentCacheControl lets clients and proxies keep discovery documents
// for five minutes.
const documentCacheControl = "public, max-age=300"

// MarshalDocument renders a discovery document (RFC 8414, RFC 9728),
// indented for people who read it with curl. It panics on a value that
// does not marshal: documents are plain structs of strings, built once at
// start-up.
func MarshalDocument(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("wire: discovery document does not marshal: " + err.Error())
	}
	return append(b, '\n')
}

// ServeDocument serves body, a rendered discovery document, to GET and
// HEAD with CORS and a short public cache lifetime; other methods get 405.
func ServeDocument(body []byte) http.Handler {
	return WithCORS(AllowMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", documentCacheControl)
		w.Write(body) // a write error means the client went away
	}), http.MethodGet))
}
