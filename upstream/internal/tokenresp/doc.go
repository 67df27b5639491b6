// Package tokenresp reads what an OAuth token endpoint answers (RFC 6749
// §5.1, §5.2) the same way for every provider: its error as a message that
// names the error code and description but never the response body (which
// may echo a code or a secret), and the lifetimes that providers send as
// extra fields, as JSON numbers or as strings.
package tokenresp
