// Package contract is the one behavioural test suite every implementation of the
// lifecycle ports passes: the embedded local backend, and each remote adapter
// against its in-repo fake (GitHub REST/GraphQL on httptest, the Gmail API fake).
// A port's semantics are what this suite checks; where an adapter cannot meet one,
// the port is what changes, not the suite for one backend.
//
// Entry points, called from an implementation's own _test.go file:
//
//	contract.TestTracker(t, func(t *testing.T) (lifecycle.Tracker, contract.Fixture) {...})
//	contract.TestUpstream(t, func(t *testing.T, prs []lifecycle.PullRequest, rels []lifecycle.Release) lifecycle.Upstream {...})
//	contract.TestMail(t, func(t *testing.T, seed [][]byte) lifecycle.Mail {...})
//
// Each constructor is called once per subtest and must return a fresh, isolated
// backend (a temp directory, a new fake server). The suite only ever reads what
// it wrote itself or what the constructor was told to hold, so a backend may hold
// other data too.
//
// The package is test support: it imports "testing", writes only through the
// ports it is given, never sends mail and never talks to the network itself.
package contract
