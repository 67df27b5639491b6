package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The result budget (Options.MaxResultChars) bounds what a model reads from
// one tool call: the text content of the result. Handlers fit their output
// to it (fitItems for lists, window and tail for files, diffs and logs);
// fit is the last line, for anything a handler did not foresee.

// resultSize is the number of characters a client shows the model: the
// text blocks of res, or, when the handler left Content to the SDK, the
// JSON of out that the SDK will put there.
func resultSize(res *mcp.CallToolResult, out any) (int, error) {
	if res != nil && res.Content != nil {
		n := 0
		for _, c := range res.Content {
			if t, ok := c.(*mcp.TextContent); ok {
				n += utf8.RuneCountInString(t.Text)
			}
		}
		return n, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return 0, err
	}
	return utf8.RuneCount(b), nil
}

// fit refuses a result over the budget with a tool error that says how to
// ask for less, rather than sending what the client would cut or reject.
func (ts *toolset) fit(tool string, res *mcp.CallToolResult, out any) error {
	n, err := resultSize(res, out)
	if err != nil {
		return &toolError{msg: "could not encode the result: " + err.Error(), cause: err}
	}
	if n <= ts.opts.MaxResultChars {
		return nil
	}
	return &toolError{msg: fmt.Sprintf("the result of %s (%d characters) is larger than this server's limit of %d characters; "+
		"ask for less: a smaller perPage, minimal_output, or a line range (start_line, end_line)", tool, n, ts.opts.MaxResultChars)}
}

// budgetFor is the share of the budget left for items or text after a
// fixed allowance for the result's other fields.
func (ts *toolset) budgetFor(reserve int) int {
	return max(ts.opts.MaxResultChars-reserve, MinResultChars/2)
}

// metaReserve is what the metadata around a list or a text window may
// take: field names, counts, notes.
const metaReserve = 1_500

// fitItems returns how many of items, from the start, fit in budget
// characters of JSON.
func fitItems[T any](items []T, budget int) int {
	used := 0
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return i
		}
		used += utf8.RuneCount(b) + 1
		if used > budget {
			return i
		}
	}
	return len(items)
}

// cutNote says what a list left out and how to get it.
func cutNote(kept, total, perPage int) string {
	return fmt.Sprintf("only the first %d of the %d items on this page fit in this server's result size limit; "+
		"to see the rest, set minimal_output to true or ask for perPage %d and page through", kept, total, max(kept, 1))
}

// maxListBody is how much of an issue or pull request body a list shows;
// the full text is one issue_read or pull_request_read away.
const maxListBody = 2_000

// clip cuts s to at most n characters on a character boundary, marking the
// cut, and reports whether it cut.
func clip(s string, n int, rest string) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "\n… [" + rest + "]", true
		}
		i++
	}
	return s, false
}

// clipJSON is clip for text that will be sent inside JSON: it cuts s so
// that its JSON encoding (where newlines and quotes take two characters)
// stays within n characters.
func clipJSON(s string, n int, rest string) (string, bool) {
	cut := n
	for {
		out, cutDone := clip(s, cut, rest)
		b, err := json.Marshal(out)
		if err != nil || utf8.RuneCount(b) <= n || cut <= 0 {
			return out, cutDone
		}
		cut -= utf8.RuneCount(b) - n + 16
	}
}

// TextWindow describes which lines of a longer text a result holds.
type TextWindow struct {
	TotalLines    int    `json:"total_lines" jsonschema:"Number of lines in the whole text."`
	StartLine     int    `json:"start_line" jsonschema:"First line returned (1-based); 0 when no line is returned."`
	EndLine       int    `json:"end_line" jsonschema:"Last line returned (inclusive)."`
	Truncated     bool   `json:"truncated" jsonschema:"True when the text goes on beyond the lines returned."`
	NextStartLine int    `json:"next_start_line,omitempty" jsonschema:"Pass this as start_line to read on; absent at the end."`
	Note          string `json:"note,omitempty" jsonschema:"How to get the rest, when something was left out."`
}

// lineRange are the inputs that select lines of a file, diff or log.
type lineRange struct {
	StartLine int `json:"start_line,omitempty" jsonschema:"First line to return (1-based, default 1)."`
	EndLine   int `json:"end_line,omitempty" jsonschema:"Last line to return (inclusive); the end of the text when omitted. Fewer lines come back when they would not fit the result size limit."`
}

func (l lineRange) validate() error {
	if l.StartLine < 0 || l.EndLine < 0 {
		return invalidInput("start_line and end_line must be 1 or more")
	}
	if l.EndLine > 0 && l.StartLine > l.EndLine {
		return invalidInput("start_line %d is after end_line %d", l.StartLine, l.EndLine)
	}
	return nil
}

// splitKeep splits text into lines that keep their newline.
func splitKeep(text string) []string {
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// window returns lines [start, end] of text (1-based, inclusive; 0 means
// from the first or to the last), cut to whole lines that fit in budget
// characters (a first line longer than the budget is cut on a character
// boundary), and where the text goes on.
func window(text string, r lineRange, budget int) (string, TextWindow) {
	lines := splitKeep(text)
	w := TextWindow{TotalLines: len(lines)}
	start, end := max(r.StartLine, 1), r.EndLine
	if end == 0 || end > len(lines) {
		end = len(lines)
	}
	if start > len(lines) {
		if len(lines) > 0 {
			w.Note = fmt.Sprintf("start_line %d is past the end (the text has %d lines)", start, len(lines))
		}
		return "", w
	}
	var b strings.Builder
	used, last := 0, start-1
	for i := start; i <= end; i++ {
		n := utf8.RuneCountInString(lines[i-1])
		if used+n > budget {
			if i == start {
				cut, _ := clip(lines[i-1], budget, "line cut at the size limit")
				b.WriteString(cut)
				last = i
			}
			break
		}
		b.WriteString(lines[i-1])
		used += n
		last = i
	}
	w.StartLine, w.EndLine = start, last
	if last < len(lines) {
		w.Truncated = true
		if last < end {
			w.NextStartLine = last + 1
			w.Note = fmt.Sprintf("lines %d-%d of %d fit in this server's result size limit; call again with start_line %d to read on", start, last, len(lines), last+1)
		} else {
			w.NextStartLine = last + 1
		}
	}
	return b.String(), w
}

// tail returns the last n lines of text (all when n is 0), dropping lines
// from the front until the rest fits in budget characters.
func tail(text string, n, budget int) (string, TextWindow) {
	lines := splitKeep(text)
	w := TextWindow{TotalLines: len(lines)}
	first := 0
	if n > 0 && n < len(lines) {
		first = len(lines) - n
	}
	used := 0
	for i := len(lines) - 1; i >= first; i-- {
		l := utf8.RuneCountInString(lines[i])
		if used+l > budget {
			first = i + 1
			break
		}
		used += l
	}
	if first >= len(lines) {
		first = len(lines) - 1
	}
	if len(lines) == 0 {
		return "", w
	}
	out := strings.Join(lines[first:], "")
	if utf8.RuneCountInString(out) > budget {
		out, _ = clip(out, budget, "cut at the size limit")
	}
	w.StartLine, w.EndLine = first+1, len(lines)
	if first > 0 {
		w.Truncated = true
		w.Note = fmt.Sprintf("the last %d of %d lines; earlier lines were left out", len(lines)-first, len(lines))
	}
	return out, w
}

// textResult sends meta (the structured output, without the text) as JSON
// and then the text itself as a separate block, so that a large text
// reaches the model once and unescaped rather than twice inside JSON.
func textResult(meta any, text string) (*mcp.CallToolResult, error) {
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, &toolError{msg: "could not encode the result: " + err.Error(), cause: err}
	}
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}
	if text != "" {
		res.Content = append(res.Content, &mcp.TextContent{Text: text})
	}
	return res, nil
}
