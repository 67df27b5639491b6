// Package testbrowser plays the person in front of the browser in an OAuth
// 2.1 authorization code flow (RFC 6749 §4.1), for mcpgate's end-to-end
// tests and its load generator.
//
// A Browser has its own cookie jar and follows redirects the way a user
// agent does (RFC 6749 §3.1.2: the authorization server hands the code back
// by redirecting to the client's redirect URI). On every page it submits
// the form whose button matches a label (mcpgate's consent page, which is
// also the sign-in chooser, then the fake GitHub's or fake OpenID
// Provider's sign-in page), optionally overriding form fields (the account
// to sign in as), and it stops at the client's redirect URI without
// contacting it, returning the code, state and iss (RFC 9207) it carries.
//
// It records every URL it saw, redirect targets and posted forms included,
// so that tests can collect the codes, states and CSRF tokens that went
// through the browser and assert that none of them appear in the logs.
//
// It is a test double, not a general HTML client: forms are found with
// regular expressions that fit the pages mcpgate and its fakes render, a
// page is read up to MaxPageBytes, and a sign-in gives up after MaxSteps
// pages.
package testbrowser
