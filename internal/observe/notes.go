package observe

import "context"

type notesKey struct{}

func withNotes(ctx context.Context) (context.Context, *callNotes) {
	n := &callNotes{}
	return context.WithValue(ctx, notesKey{}, n), n
}

func notesFrom(ctx context.Context) *callNotes {
	n, _ := ctx.Value(notesKey{}).(*callNotes)
	return n
}
