package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/shurcooL/githubv4"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Config says which repositories and which board the client works on.
type Config struct {
	// TrackerRepo is the private tracker, "owner/name".
	TrackerRepo string
	// UpstreamRepo is the public code repository, "owner/name".
	UpstreamRepo string
	// BaseURL is the REST API root: https://api.github.com/ (the default),
	// https://HOST/api/v3/ for GitHub Enterprise Server, or a fake's URL.
	BaseURL string
	// GraphQLURL is the GraphQL endpoint; derived from BaseURL when empty
	// (https://api.github.com/graphql, https://HOST/api/graphql, BASE/graphql).
	GraphQLURL string
	Board      BoardConfig
}

// BoardConfig names the Projects V2 board. Project, field and options are
// resolved by name (never by cached id), at New and again when GitHub answers
// "not found".
type BoardConfig struct {
	Enabled bool
	// Owner is the organization or user login that owns the project.
	Owner string
	// Number is the project number in its URL (.../projects/<Number>).
	Number int
	// StatusField is the single-select field holding the columns; default "Status".
	StatusField string
}

// Option configures a Client.
type Option func(*options)

type options struct {
	transport  http.RoundTripper
	etagSize   int
	boardTTL   time.Duration
	recentScan int
}

// WithTransport sets the transport that reaches the network (default
// http.DefaultTransport). The client's own layers (token, ETag cache, counting)
// sit above it.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithETagCacheSize bounds the conditional-request cache (entries, default
// 2048); 0 disables conditional requests.
func WithETagCacheSize(n int) Option { return func(o *options) { o.etagSize = n } }

// WithBoardCacheTTL sets how long the resolved board ids are trusted before they
// are looked up again (default 10 minutes). A "not found" answer re-resolves
// them at once regardless.
func WithBoardCacheTTL(d time.Duration) Option { return func(o *options) { o.boardTTL = d } }

// WithRecentScan sets how many of the most recently created issues
// FindByIntakeKey reads besides the search API (default 50, at most 100), to
// cover the search index's lag.
func WithRecentScan(n int) Option { return func(o *options) { o.recentScan = min(n, 100) } }

// Client talks to one GitHub instance for one tracker, one upstream and one
// board. It is safe for concurrent use.
type Client struct {
	cfg     Config
	rest    *gh.Client
	gql     *githubv4.Client
	counter *CountingTransport
	opts    options

	tracker  *tracker
	upstream *upstream
	board    *board

	mu      sync.Mutex
	nodeIDs map[int]string // tracker issue number → node id; node ids never change
}

// New builds a client. The token comes from the caller (environment or file),
// never from tool arguments; it is sent only to the API host and never appears
// in logs or errors. An empty token makes unauthenticated requests (public
// data only, 60 requests an hour). When the board is enabled, New resolves the
// project, its status field and the field's options by name and fails if they
// do not exist; nothing else is requested.
func New(ctx context.Context, cfg Config, token string, opts ...Option) (*Client, error) {
	o := options{etagSize: 2048, boardTTL: 10 * time.Minute, recentScan: 50}
	for _, opt := range opts {
		opt(&o)
	}
	if o.transport == nil {
		o.transport = http.DefaultTransport
	}
	for _, r := range []struct{ name, v string }{{"tracker repository", cfg.TrackerRepo}, {"upstream repository", cfg.UpstreamRepo}} {
		if r.v != "" && !validRepo(r.v) {
			return nil, fmt.Errorf("github: %s %q is not owner/name", r.name, r.v)
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.github.com/"
	}
	if !strings.HasSuffix(cfg.BaseURL, "/") {
		cfg.BaseURL += "/"
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("github: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.GraphQLURL == "" {
		cfg.GraphQLURL = graphQLURL(base)
	}
	gqlURL, err := url.Parse(cfg.GraphQLURL)
	if err != nil || gqlURL.Host == "" {
		return nil, fmt.Errorf("github: GraphQL URL %q is not an http(s) URL", cfg.GraphQLURL)
	}
	if cfg.Board.Enabled {
		if cfg.Board.Owner == "" || cfg.Board.Number <= 0 {
			return nil, errors.New("github: board enabled but its owner or number is not set")
		}
		if cfg.Board.StatusField == "" {
			cfg.Board.StatusField = "Status"
		}
	}

	counter := NewCountingTransport(o.transport)
	// Token → ETag cache → counter → network: the counter sees every request
	// that leaves, conditional or not.
	cached := newETagTransport(counter, o.etagSize)
	restHTTP := &http.Client{Transport: &authTransport{base: cached, host: base.Host, token: token}}
	gqlHTTP := &http.Client{Transport: &authTransport{base: graphQLTransport{base: counter}, host: gqlURL.Host, token: token}}

	rest := gh.NewClient(restHTTP)
	rest.BaseURL = base
	rest.UserAgent = "vulnsteward"

	c := &Client{
		cfg:     cfg,
		rest:    rest,
		gql:     githubv4.NewEnterpriseClient(cfg.GraphQLURL, gqlHTTP),
		counter: counter,
		opts:    o,
		nodeIDs: map[int]string{},
	}
	if cfg.TrackerRepo != "" {
		owner, name, _ := strings.Cut(cfg.TrackerRepo, "/")
		c.tracker = &tracker{c: c, owner: owner, name: name}
	}
	if cfg.UpstreamRepo != "" {
		owner, name, _ := strings.Cut(cfg.UpstreamRepo, "/")
		c.upstream = &upstream{c: c, owner: owner, name: name}
	}
	c.board = &board{c: c, cfg: cfg.Board, ttl: o.boardTTL}
	if cfg.Board.Enabled {
		if _, err := c.board.resolve(ctx, false); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Tracker is the tracker port; every method fails with lifecycle.ErrUnsupported
// when Config.TrackerRepo is empty.
func (c *Client) Tracker() lifecycle.Tracker {
	if c.tracker == nil {
		return &tracker{c: c}
	}
	return c.tracker
}

// Upstream is the upstream port; every method fails with
// lifecycle.ErrUnsupported when Config.UpstreamRepo is empty.
func (c *Client) Upstream() lifecycle.Upstream {
	if c.upstream == nil {
		return &upstream{c: c}
	}
	return c.upstream
}

// Counter reports the API requests this client has sent.
func (c *Client) Counter() *CountingTransport { return c.counter }

func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && owner != "" && name != "" && !strings.ContainsAny(owner+name, "/ ?#%")
}

// graphQLURL derives the GraphQL endpoint from the REST base URL.
func graphQLURL(base *url.URL) string {
	u := *base
	switch {
	case strings.HasSuffix(u.Path, "/api/v3/"):
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	default:
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

func (c *Client) rememberNodeID(number int, id string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	c.nodeIDs[number] = id
	c.mu.Unlock()
}

func (c *Client) cachedNodeID(number int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodeIDs[number]
}
