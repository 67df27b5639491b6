// Streaming the backend's answers back: JSON and text/event-stream pass
// through as they arrive, flushed per event, with tools/list results
// filtered on the way (filterMessage).

package protected

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
)

// maxBufferedAnswer bounds a JSON answer or one SSE event that the gateway
// has to hold whole (to filter a tools/list); larger ones are a backend
// fault (502), not a reason to grow without limit.
const maxBufferedAnswer = 16 << 20

// copyBody writes the backend's status and body to the client.
func (h *Gateway) copyBody(w http.ResponseWriter, r *http.Request, req *gatewayRequest, resp *http.Response, log *slog.Logger) {
	rc := http.NewResponseController(w)
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	filter := len(req.listIDs) > 0 && (req.readOnly || len(h.Backend.Allow) > 0 || len(h.Backend.Deny) > 0)
	switch {
	case media == "text/event-stream":
		w.WriteHeader(resp.StatusCode)
		rc.Flush()
		if err := h.copyEvents(w, rc, req, resp.Body, filter); err != nil && r.Context().Err() == nil {
			log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: event stream from the backend ended abnormally", slog.String("error", err.Error()))
		}
	case media == "application/json" && filter:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBufferedAnswer+1))
		if err != nil || len(body) > maxBufferedAnswer {
			w.Header().Del("Content-Type")
			h.writeBackendAnswerError(w, r, log, err)
			return
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(h.filterJSON(req, body))
	default:
		w.WriteHeader(resp.StatusCode)
		copyFlushing(w, rc, resp.Body)
	}
}

// writeBackendAnswerError answers a backend answer that could not be
// relayed.
func (h *Gateway) writeBackendAnswerError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if err == nil {
		err = errors.New("answer too large to filter")
	}
	h.writeBackendError(w, r, log, err)
}

// filterJSON filters a JSON answer: one message or a batch.
func (h *Gateway) filterJSON(req *gatewayRequest, body []byte) []byte {
	var batch []json.RawMessage
	if json.Unmarshal(body, &batch) != nil {
		out, changed := h.filterMessage(req, body)
		if changed {
			h.tools.invalidate()
		}
		return out
	}
	for i, m := range batch {
		out, changed := h.filterMessage(req, m)
		if changed {
			h.tools.invalidate()
		}
		batch[i] = out
	}
	out, err := json.Marshal(batch)
	if err != nil {
		return body
	}
	return out
}

// copyFlushing copies body to w, flushing after every read, so whatever
// the backend sent is at the client without waiting for more.
func copyFlushing(w io.Writer, rc *http.ResponseController, body io.Reader) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// copyBuffers are copyFlushing's buffers, reused: a fresh 32 KiB per answer
// was a tenth of the gateway's CPU in BenchmarkGatewayToolsCall (its
// allocation, zeroing and collection).
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyEvents relays a text/event-stream event by event (an event ends at
// a blank line; WHATWG HTML, "Server-sent events"), flushing after each.
// The data of an event is passed to filterMessage when the request listed
// tools (filter) or the event may announce changed tools; a rewritten
// event keeps its other fields (id, event, retry) so resumption works.
func (h *Gateway) copyEvents(w io.Writer, rc *http.ResponseController, req *gatewayRequest, body io.Reader, filter bool) error {
	br := bufio.NewReaderSize(body, 32<<10)
	var event [][]byte
	size := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			size += len(line)
			if size > maxBufferedAnswer {
				return errors.New("event larger than the gateway's limit")
			}
			event = append(event, line)
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				if werr := h.writeEvent(w, req, event, filter); werr != nil {
					return nil // the client went away
				}
				rc.Flush()
				event, size = event[:0], 0
			}
		}
		if err != nil {
			if len(event) > 0 {
				h.writeEvent(w, req, event, filter)
				rc.Flush()
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// writeEvent writes one event, rewritten when filterMessage changed its
// data.
func (h *Gateway) writeEvent(w io.Writer, req *gatewayRequest, event [][]byte, filter bool) error {
	var data [][]byte
	for _, line := range event {
		if v, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:")); ok {
			data = append(data, bytes.TrimPrefix(v, []byte(" ")))
		}
	}
	joined := bytes.Join(data, []byte("\n"))
	if len(data) == 0 || !filter && !bytes.Contains(joined, []byte("list_changed")) {
		return writeLines(w, event)
	}
	out, changed := h.filterMessage(req, joined)
	if changed {
		h.tools.invalidate()
	}
	if bytes.Equal(out, joined) {
		return writeLines(w, event)
	}
	var b bytes.Buffer
	for _, line := range event {
		trimmed := bytes.TrimRight(line, "\r\n")
		if bytes.HasPrefix(trimmed, []byte("data:")) || len(trimmed) == 0 {
			continue
		}
		b.Write(line)
	}
	b.WriteString("data: ")
	b.Write(out)
	b.WriteString("\n\n")
	_, err := w.Write(b.Bytes())
	return err
}

func writeLines(w io.Writer, lines [][]byte) error {
	for _, l := range lines {
		if _, err := w.Write(l); err != nil {
			return err
		}
	}
	return nil
}
