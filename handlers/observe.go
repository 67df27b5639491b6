package handlers

// tokenResult is the token endpoint's answer as a metrics label: "ok" or
// the OAuth error code (observe bounds it to the known codes).
func tokenResult(e *oauthError) string {
	if e == nil {
		return "ok"
	}
	return e.Code
}
