// Package fakepage holds what the sign-in pages of the fake identity
// providers (upstream/fakegithub, upstream/fakeoidc) share: the data every
// page shows, the headers that keep a sign-in page out of caches, frames
// and Referer headers, and the redirect that carries the authorization
// response back to the client (RFC 6749 §4.1.2, §4.1.2.1). Each fake keeps
// its own template and its own account rows.
package fakepage
