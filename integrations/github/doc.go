// Package github is the remote implementation of the lifecycle Tracker and
// Upstream ports on GitHub: REST through go-github (v62) for issues, labels,
// comments, milestones, collaborators, pull requests, releases and search, and
// GraphQL through githubv4 for the Projects V2 board.
//
// What it owns:
//   - mapping the ports onto GitHub calls, one port method to as few requests as
//     the API allows (labels are replaced in one PATCH; board moves always take
//     the orphan path addProjectV2ItemById → updateProjectV2ItemFieldValue);
//   - the HTTP stack: the token (only ever sent to the configured API host, never
//     logged or put in an error), conditional requests with ETags on every REST
//     read, and a CountingTransport that makes the number of API requests
//     observable per endpoint and GraphQL operation;
//   - turning API failures into errors a caller can act on: 404 wraps
//     lifecycle.ErrNotFound, rate limits keep go-github's typed errors, 401/403
//     name the token permission that is missing;
//   - search hygiene: callers pass terms, never query strings; terms are
//     sanitised and quoted, qualifier-looking tokens are dropped, and the repo:
//     qualifier is always added here.
//
// What it must not do: import skills/<skill> packages (only skills/lifecycle,
// whose ports it implements), create labels (adding an undefined label is an
// error naming it), or hold workflow rules: it does what a port method says.
//
// Package fakegithub, beside it, is a stateful fake of exactly the REST endpoints
// and GraphQL operations this package uses; the tests run the adapter against it
// and check both against GitHub's published GraphQL schema and OpenAPI
// description (see .ci/fetch-github-schemas).
package github
