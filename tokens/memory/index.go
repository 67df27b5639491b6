package memory

// idSet is a set of grant IDs.
type idSet map[string]struct{}

// grantIndex maps a user or client ID to the IDs of its grants, so that
// listing one user's or one client's grants reads only those.
type grantIndex map[string]idSet

func (x grantIndex) add(key, id string) {
	ids := x[key]
	if ids == nil {
		ids = make(idSet)
		x[key] = ids
	}
	ids[id] = struct{}{}
}

func (x grantIndex) remove(key, id string) {
	ids := x[key]
	delete(ids, id)
	if len(ids) == 0 {
		delete(x, key)
	}
}

// putGrant stores e under its grant's ID and indexes it by user and
// client. The caller holds s.mu and has dropped any entry with that ID.
func (s *Store) putGrant(e *grantEntry) {
	id := e.grant.ID
	s.grants[id] = e
	s.byUser.add(e.grant.UserID, id)
	s.byClient.add(e.grant.ClientID, id)
}

// dropGrant removes the grant (with its codes and tokens) and its index
// entries. The caller holds s.mu.
func (s *Store) dropGrant(id string) {
	e := s.grants[id]
	if e == nil {
		return
	}
	delete(s.grants, id)
	s.byUser.remove(e.grant.UserID, id)
	s.byClient.remove(e.grant.ClientID, id)
}

// grantCandidates returns the IDs of the grants that may match the
// filter: those of the user when userID is set, else those of the client
// when clientID is set, else all. The caller holds s.mu and still checks
// each grant against the filter and its expiry.
func (s *Store) grantCandidates(userID, clientID string) []string {
	var ids []string
	switch {
	case userID != "":
		for id := range s.byUser[userID] {
			ids = append(ids, id)
		}
	case clientID != "":
		for id := range s.byClient[clientID] {
			ids = append(ids, id)
		}
	default:
		for id := range s.grants {
			ids = append(ids, id)
		}
	}
	return ids
}
