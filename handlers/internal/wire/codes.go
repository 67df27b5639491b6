package wire

// OAuth error codes (RFC 6749 §4.1.2.1, §5.2; RFC 7591 §3.2.2; RFC 8707 §2;
// RFC 7009 §2.2.1).
const (
	InvalidRequest          = "invalid_request"
	InvalidClient           = "invalid_client"
	InvalidGrant            = "invalid_grant"
	InvalidScope            = "invalid_scope"
	InvalidTarget           = "invalid_target"
	UnsupportedGrantType    = "unsupported_grant_type"
	UnsupportedResponseType = "unsupported_response_type"
	AccessDenied            = "access_denied"
	ServerError             = "server_error"
	TemporarilyUnavailable  = "temporarily_unavailable"
	InvalidRedirectURI      = "invalid_redirect_uri"
	InvalidClientMetadata   = "invalid_client_metadata"
	UnauthorizedClient      = "unauthorized_client"
)

// Bearer token error codes (RFC 6750 §3.1). invalid_request is
// InvalidRequest.
const (
	InvalidToken      = "invalid_token"
	InsufficientScope = "insufficient_scope"
)

// Codes outside the OAuth registries, for answers that are not about a
// token or a grant (an unknown document or session, a refused Origin, a
// per-user cap) and for a 401 without credentials, where RFC 6750 §3.1
// puts no error code in the challenge but the JSON body still needs one.
const (
	NotFound        = "not_found"
	Forbidden       = "forbidden"
	TooManyRequests = "too_many_requests"
	Unauthorized    = "unauthorized"
)

// RetryAfterSeconds is the Retry-After of every 503 and 429 that mcpgate
// answers: long enough for a store to come back or a session to end, short
// enough that a client retrying does not give up.
const RetryAfterSeconds = "5"
