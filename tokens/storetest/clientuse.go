package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

func testTouchClient(t *testing.T, f *fixture) {
	c := client(tokens.NewID(), f.now())
	wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	got, err := f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient", err, nil)
	if !got.LastUsedAt.IsZero() {
		t.Fatalf("a new client has LastUsedAt %s, want zero", got.LastUsedAt)
	}

	used := f.now().Add(time.Hour)
	wantErr(t, "TouchClient", f.s.TouchClient(f.ctx, c.ID, used), nil)
	want := c
	want.LastUsedAt = used
	got, err = f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient after TouchClient", err, nil)
	same(t, "GetClient after TouchClient", got, want)

	wantErr(t, "TouchClient earlier", f.s.TouchClient(f.ctx, c.ID, f.now()), nil)
	got, err = f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient after an earlier TouchClient", err, nil)
	same(t, "GetClient after an earlier TouchClient", got, want)

	wantErr(t, "TouchClient unknown", f.s.TouchClient(f.ctx, tokens.NewID(), used), tokens.ErrNotFound)

	// A touched client is still durable.
	f.clock.Advance(400 * 24 * time.Hour)
	got, err = f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient a year later", err, nil)
	same(t, "GetClient a year later", got, want)
}

func testCountClients(t *testing.T, f *fixture) {
	count := func(want int) {
		t.Helper()
		n, err := f.s.CountClients(f.ctx)
		wantErr(t, "CountClients", err, nil)
		if n != want {
			t.Fatalf("CountClients = %d, want %d", n, want)
		}
	}
	count(0)
	var ids []string
	for range 3 {
		c := client(tokens.NewID(), f.now())
		ids = append(ids, c.ID)
		wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	}
	count(3)
	wantErr(t, "DeleteClient", f.s.DeleteClient(f.ctx, ids[0]), nil)
	count(2)
	wantErr(t, "CreateClient duplicate", f.s.CreateClient(f.ctx, client(ids[1], f.now())), tokens.ErrAlreadyExists)
	count(2)
}

// testPruneUnusedClients checks tokens.PruneUnusedClients on the store:
// only clients that are old, never used and without a live grant go.
func testPruneUnusedClients(t *testing.T, f *fixture) {
	start := f.now()
	mk := func(name string, created time.Time) tokens.Client {
		t.Helper()
		c := client(tokens.NewID(), created)
		c.Name = name
		wantErr(t, "CreateClient "+name, f.s.CreateClient(f.ctx, c), nil)
		return c
	}
	oldUnused := mk("old, never used", start)
	oldUsed := mk("old, used", start)
	wantErr(t, "TouchClient", f.s.TouchClient(f.ctx, oldUsed.ID, start.Add(time.Minute)), nil)
	oldInFlight := mk("old, authorization in progress", start)
	f.clock.Advance(48 * time.Hour)
	f.grant(t, "github:1", oldInFlight.ID)
	recent := mk("recent, never used", f.now())

	n, err := tokens.PruneUnusedClients(f.ctx, f.s, f.now().Add(-24*time.Hour))
	wantErr(t, "PruneUnusedClients", err, nil)
	if n != 1 {
		t.Errorf("PruneUnusedClients deleted %d, want 1", n)
	}
	_, err = f.s.GetClient(f.ctx, oldUnused.ID)
	wantErr(t, "GetClient of the pruned client", err, tokens.ErrNotFound)
	list, err := f.s.ListClients(f.ctx)
	wantErr(t, "ListClients", err, nil)
	got := clientIDs(list)
	for _, keep := range []tokens.Client{oldUsed, oldInFlight, recent} {
		if !slices.Contains(got, keep.ID) {
			t.Errorf("client %q was pruned", keep.Name)
		}
	}

	n, err = tokens.PruneUnusedClients(f.ctx, f.s, f.now().Add(-24*time.Hour))
	wantErr(t, "PruneUnusedClients again", err, nil)
	if n != 0 {
		t.Errorf("a second PruneUnusedClients deleted %d, want 0", n)
	}
}

// testSetClientSecretHash: the hash is replaced only while it is still the
// expected one, and nothing else of the registration changes.
func testSetClientSecretHash(t *testing.T, f *fixture) {
	c := client(tokens.NewID(), f.now())
	c.SecretHash = "old-hash"
	wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)

	wantErr(t, "SetClientSecretHash", f.s.SetClientSecretHash(f.ctx, c.ID, "old-hash", "new-hash"), nil)
	want := c
	want.SecretHash = "new-hash"
	got, err := f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient", err, nil)
	same(t, "GetClient after SetClientSecretHash", got, want)

	// A stale compare (another replica re-hashed first) changes nothing.
	wantErr(t, "SetClientSecretHash stale", f.s.SetClientSecretHash(f.ctx, c.ID, "old-hash", "other-hash"), nil)
	got, err = f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient", err, nil)
	same(t, "GetClient after a stale SetClientSecretHash", got, want)

	wantErr(t, "SetClientSecretHash unknown", f.s.SetClientSecretHash(f.ctx, tokens.NewID(), "a", "b"), tokens.ErrNotFound)
}

// testScanClients: walking every batch from "" until the cursor comes back
// empty yields every registration, whatever the batch size.
func testScanClients(t *testing.T, f *fixture) {
	want := map[string]bool{}
	for i := range 37 {
		c := client(tokens.NewID(), f.now().Add(time.Duration(i)*time.Second))
		wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
		want[c.ID] = true
	}
	for _, count := range []int{1, 5, 100} {
		got := map[string]bool{}
		cursor, batches := "", 0
		for {
			batch, next, err := f.s.ScanClients(f.ctx, cursor, count)
			wantErr(t, "ScanClients", err, nil)
			for _, c := range batch {
				got[c.ID] = true
			}
			if batches++; batches > 1000 {
				t.Fatalf("count %d: the scan does not end", count)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(got) != len(want) {
			t.Fatalf("count %d: the scan found %d clients, want %d", count, len(got), len(want))
		}
		for id := range want {
			if !got[id] {
				t.Fatalf("count %d: the scan missed %s", count, id)
			}
		}
	}
}

// testPruneInBatches: a prune walked one small batch at a time, as the
// registration cap does between requests, deletes exactly what one full
// pass does.
func testPruneInBatches(t *testing.T, f *fixture) {
	var unused, used []string
	for i := range 12 {
		c := client(tokens.NewID(), f.now())
		wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
		if i%3 == 0 {
			wantErr(t, "TouchClient", f.s.TouchClient(f.ctx, c.ID, f.now()), nil)
			used = append(used, c.ID)
		} else {
			unused = append(unused, c.ID)
		}
	}
	f.clock.Advance(48 * time.Hour)
	total, cursor := 0, ""
	for steps := 0; ; steps++ {
		if steps > 100 {
			t.Fatal("the batched prune does not end")
		}
		n, next, err := tokens.PruneUnusedClientsBatch(f.ctx, f.s, f.now().Add(-24*time.Hour), cursor, 2)
		wantErr(t, "PruneUnusedClientsBatch", err, nil)
		total += n
		if next == "" {
			break
		}
		cursor = next
	}
	if total != len(unused) {
		t.Errorf("the batched prune deleted %d, want %d", total, len(unused))
	}
	for _, id := range unused {
		_, err := f.s.GetClient(f.ctx, id)
		wantErr(t, "GetClient of a pruned client", err, tokens.ErrNotFound)
	}
	for _, id := range used {
		_, err := f.s.GetClient(f.ctx, id)
		wantErr(t, "GetClient of a used client", err, nil)
	}
}
