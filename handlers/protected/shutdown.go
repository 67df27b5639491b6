package protected

import (
	"context"
	"net/http"
	"sync"
)

// endStreamsOnShutdown ends the standalone GET streams of stateful /mcp
// sessions when the http.Server serving them shuts down. Shutdown waits for
// active requests and never cancels their contexts, so an open stream, which
// lasts as long as its client keeps it, would hold a graceful shutdown until
// its deadline. Each GET's context is cancelled once its server's Shutdown
// begins (RegisterOnShutdown, found through http.ServerContextKey); the SDK
// then ends the stream and the request returns. POSTs are left to finish:
// draining them is what Shutdown is for. The state lives in the returned
// handler, one signal per http.Server that has served a GET.
func endStreamsOnShutdown(next http.Handler) http.Handler {
	var (
		mu       sync.Mutex
		stopping = map[*http.Server]chan struct{}{}
	)
	shutdownOf := func(srv *http.Server) <-chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		ch, ok := stopping[srv]
		if !ok {
			ch = make(chan struct{})
			stopping[srv] = ch
			srv.RegisterOnShutdown(func() { close(ch) })
		}
		return ch
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
		if r.Method != http.MethodGet || srv == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := shutdownOf(srv)
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
