// Package storetest is the conformance suite for tokens.Store
// implementations. Every store (memory, redis) runs the same named subtests,
// so the semantics documented on the interfaces in package tokens hold
// whichever store a deployment uses: single-use codes that report reuse,
// refresh rotation as compare-and-set with exactly one winner under
// concurrency, revocation that removes every token of a grant, expiry by the
// store's clock, locks that exclude and lapse, sentinel errors, and values
// that never alias stored data.
//
// The store under test must take its clock from the Clock that its
// constructor returns; the suite advances that clock to test expiry instead
// of sleeping.
package storetest
