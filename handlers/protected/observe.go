package protected

// refreshResult is an upstream refresh's outcome as a metrics label.
func refreshResult(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
