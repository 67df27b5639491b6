package tokens

import "strings"

// userIDSep separates the provider name from the subject in a user ID.
// Provider names never contain it (upstream checks them); subjects may.
const userIDSep = ":"

// UserID is the stable user identifier of the person that subject names at
// the upstream provider called provider: "provider:subject" (Grant.UserID,
// AccessToken.UserID). It is stored in every grant and token record and
// keys the per-user grant index, so its form is part of the storage format.
func UserID(provider, subject string) string {
	return provider + userIDSep + subject
}

// SplitUserID is the inverse of UserID: the provider name and subject of a
// user ID, split at the first separator, since provider names never
// contain one. ok is false when userID has no separator; provider is then
// userID itself and subject is empty.
func SplitUserID(userID string) (provider, subject string, ok bool) {
	return strings.Cut(userID, userIDSep)
}
