package loadclient

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// ReadSSEResponse reads server-sent events from r until the first message
// that is a JSON-RPC response, into dst; notifications before it are
// skipped. An event's data lines are joined with newlines (the event
// stream format), and the last event needs no blank line after it.
func ReadSSEResponse(r io.Reader, dst *Response) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxAnswerBytes)
	var data strings.Builder
	flush := func() (bool, error) {
		defer data.Reset()
		if data.Len() == 0 {
			return false, nil
		}
		var rpc Response
		if err := json.Unmarshal([]byte(data.String()), &rpc); err != nil {
			return false, errors.New("undecodable event data")
		}
		if len(rpc.ID) == 0 {
			return false, nil // a notification
		}
		*dst = rpc
		return true, nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if done, err := flush(); done || err != nil {
				return err
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(v, " "))
		}
	}
	if done, err := flush(); done || err != nil {
		return err
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("the event stream ended without a response")
}
