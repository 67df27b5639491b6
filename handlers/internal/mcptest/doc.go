// Package mcptest holds the test helpers that the tests of both HTTP roles
// use: the authorization server's (package handlers, which drives /mcp
// through the whole stack) and the protected resource's (package
// handlers/protected). It is imported by tests only, so the production
// binary never links package testing through it.
//
// It holds a tool-scope policy of the production shape with tools to call,
// the requests an MCP client sends, the check of the RFC 6750 §3.1
// insufficient_scope answer (the step-up challenge of the MCP
// authorization spec), and the hang guard that bounds every wait of a test.
package mcptest
