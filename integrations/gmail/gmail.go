package gmail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// EndpointEnv names the environment variable the command reads into
// Config.Endpoint (tests and the demo point it at a fake Gmail API).
const EndpointEnv = "VULNSTEWARD_GMAIL_ENDPOINT"

// Kind is the backend name and its thread-id flavour: Gmail thread ids.
const Kind = "gmail"

// Senders always left out of the candidate listing (spec/intake.md §3.3).
// notifications@github.com is deliberately not among them: GHSA relays arrive
// from it.
var defaultExcludedSenders = []string{"noreply@github.com", "security-noreply@github.com"}

const neverExcluded = "notifications@github.com"

// Config configures a Mailbox.
type Config struct {
	// User is the Gmail user id; "" means "me" (the authorised account).
	User string
	// SecurityListDomain selects the list in the candidate query (list:<domain>).
	SecurityListDomain string
	// SecurityList is the list address; CreateDraft adds it to Cc when missing
	// (spec/intake.md §3.5: Cc always includes the security list).
	SecurityList string
	// ExcludeFrom are senders dropped from the candidate listing (the tracker's
	// noreply address), on top of noreply@github.com and
	// security-noreply@github.com.
	ExcludeFrom []string
	// Endpoint overrides the API base URL (EndpointEnv); "" is the real API.
	Endpoint string
	// From is the draft sender; an empty Email leaves From to Gmail.
	From lifecycle.Address
}

// Mailbox is a lifecycle.Mail over one Gmail account.
type Mailbox struct {
	svc   *gmailapi.Service
	user  string
	query string // candidate query without the date bound
	list  string
	from  lifecycle.Address
	now   func() time.Time
}

var _ lifecycle.Mail = (*Mailbox)(nil)

// New returns a Mailbox that calls the API through httpClient, which must add
// the OAuth credentials (see HTTPClientFromTokenFile).
func New(ctx context.Context, cfg Config, httpClient *http.Client) (*Mailbox, error) {
	if httpClient == nil {
		return nil, errors.New("gmail: no HTTP client (credentials) given")
	}
	domain := strings.TrimSpace(cfg.SecurityListDomain)
	if domain == "" || !isQueryWord(domain) {
		return nil, fmt.Errorf("gmail: security list domain %q is empty or not a single word", cfg.SecurityListDomain)
	}
	terms := []string{"list:" + domain}
	seen := map[string]bool{}
	for _, s := range append(slices.Clone(cfg.ExcludeFrom), defaultExcludedSenders...) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || seen[s] {
			continue
		}
		if s == neverExcluded {
			return nil, fmt.Errorf("gmail: %s must not be excluded: GHSA relays arrive from it", neverExcluded)
		}
		if !isQueryWord(s) {
			return nil, fmt.Errorf("gmail: excluded sender %q is not a single address", s)
		}
		seen[s] = true
		terms = append(terms, "-from:"+s)
	}
	opts := []option.ClientOption{option.WithHTTPClient(httpClient)}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	svc, err := gmailapi.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gmail: new service: %w", err)
	}
	user := cfg.User
	if user == "" {
		user = "me"
	}
	return &Mailbox{
		svc:   svc,
		user:  user,
		query: strings.Join(terms, " "),
		list:  strings.TrimSpace(cfg.SecurityList),
		from:  cfg.From,
		now:   time.Now,
	}, nil
}

// isQueryWord: a value safe to splice into a search query as one operator
// argument (no spaces, quotes, braces or parentheses that would change it).
func isQueryWord(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\r\n\"'(){}") && !strings.HasPrefix(s, "-")
}

// Kind implements lifecycle.Mail.
func (m *Mailbox) Kind() string { return Kind }

// ThreadURL implements lifecycle.Mail: the thread in the Gmail web client of
// the first signed-in account.
func (m *Mailbox) ThreadURL(threadID string) string {
	if threadID == "" {
		return ""
	}
	return "https://mail.google.com/mail/u/0/#all/" + threadID
}

// Query is the candidate-listing search ListThreads sends for since
// (spec/intake.md §3.3). The after: date is the day before since, in UTC:
// Gmail reads the date in the account's time zone, so the query over-selects
// by up to a day and ListThreads filters on the messages' own timestamps.
func (m *Mailbox) Query(since time.Time) string {
	if since.IsZero() {
		return m.query
	}
	return m.query + " after:" + since.UTC().AddDate(0, 0, -1).Format("2006/01/02")
}

// ListThreads implements lifecycle.Mail: GET users/{user}/threads?q=… (every
// page), then GET users/{user}/threads/{id}?format=metadata for each thread.
// A thread is listed when one of its non-draft messages arrived on or after
// since. Summaries are newest first.
func (m *Mailbox) ListThreads(ctx context.Context, since time.Time) ([]lifecycle.ThreadSummary, error) {
	var ids []string
	call := m.svc.Users.Threads.List(m.user).Q(m.Query(since)).MaxResults(500)
	err := call.Pages(ctx, func(r *gmailapi.ListThreadsResponse) error {
		for _, t := range r.Threads {
			ids = append(ids, t.Id)
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("list threads", "", err)
	}
	var out []lifecycle.ThreadSummary
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		t, err := m.svc.Users.Threads.Get(m.user, id).Format("metadata").
			MetadataHeaders("Subject", "From", "Date", "Message-ID").Context(ctx).Do()
		if err != nil {
			return nil, wrapErr("read thread metadata", id, err)
		}
		s, ok := summarize(t)
		if !ok || (!since.IsZero() && s.LastDate.Before(since)) {
			continue
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b lifecycle.ThreadSummary) int { return b.LastDate.Compare(a.LastDate) })
	return out, nil
}

func summarize(t *gmailapi.Thread) (lifecycle.ThreadSummary, bool) {
	msgs := make([]lifecycle.Message, 0, len(t.Messages))
	for _, gm := range t.Messages {
		msgs = append(msgs, headerMessage(gm))
	}
	th := lifecycle.Thread{ID: t.Id, Messages: sortMessages(msgs, t.Messages)}
	root, ok := th.Root()
	if !ok {
		return lifecycle.ThreadSummary{}, false // drafts only
	}
	s := lifecycle.ThreadSummary{
		ID:            t.Id,
		Subject:       root.Subject,
		From:          root.From,
		Date:          root.Date,
		RootMessageID: root.MessageID,
	}
	for _, msg := range th.Messages {
		if msg.IsDraft {
			continue
		}
		s.MessageCount++
		if msg.Date.After(s.LastDate) {
			s.LastDate = msg.Date
		}
	}
	return s, true
}

// ReadThread implements lifecycle.Mail: GET users/{user}/threads/{id}?format=full.
// Messages come back in arrival order (Gmail's internalDate), drafts included
// and marked IsDraft.
func (m *Mailbox) ReadThread(ctx context.Context, id string) (lifecycle.Thread, error) {
	if id == "" {
		return lifecycle.Thread{}, fmt.Errorf("gmail: read thread: empty id: %w", lifecycle.ErrNotFound)
	}
	t, err := m.svc.Users.Threads.Get(m.user, id).Format("full").Context(ctx).Do()
	if err != nil {
		return lifecycle.Thread{}, wrapErr("read thread", id, err)
	}
	msgs := make([]lifecycle.Message, 0, len(t.Messages))
	for _, gm := range t.Messages {
		msg := headerMessage(gm)
		if gm.Payload != nil {
			msg.Body = mailmsg.TextBody(payloadPart(gm.Payload, 0))
		}
		msgs = append(msgs, msg)
	}
	return lifecycle.Thread{ID: t.Id, Messages: sortMessages(msgs, t.Messages)}, nil
}

// ListDrafts implements lifecycle.Mail: GET users/{user}/drafts (every page),
// then GET users/{user}/drafts/{id}?format=metadata per draft. Gmail search has
// no thread operator, so a thread's drafts are picked by the threadId the
// listing already carries, and only those are fetched.
func (m *Mailbox) ListDrafts(ctx context.Context, threadID string) ([]lifecycle.Draft, error) {
	var ids []string
	err := m.svc.Users.Drafts.List(m.user).MaxResults(500).Pages(ctx, func(r *gmailapi.ListDraftsResponse) error {
		for _, d := range r.Drafts {
			if threadID != "" && (d.Message == nil || d.Message.ThreadId != threadID) {
				continue
			}
			ids = append(ids, d.Id)
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("list drafts", threadID, err)
	}
	out := make([]lifecycle.Draft, 0, len(ids))
	for _, id := range ids {
		d, err := m.svc.Users.Drafts.Get(m.user, id).Format("metadata").Context(ctx).Do()
		if err != nil {
			if isNotFound(err) {
				continue // sent or discarded between the two calls
			}
			return nil, wrapErr("read draft "+id, threadID, err)
		}
		out = append(out, draftOf(d))
	}
	return out, nil
}

// CreateDraft implements lifecycle.Mail: POST users/{user}/drafts with the raw
// message built by mailmsg.BuildDraft. With a ThreadID the draft is attached to
// that thread (Gmail also wants the subject and In-Reply-To/References to
// match); without one it is unattached and threads by subject and headers only.
// The security list is added to Cc when missing. Nothing is ever sent.
func (m *Mailbox) CreateDraft(ctx context.Context, req lifecycle.DraftRequest) (lifecycle.Draft, error) {
	if m.list != "" && !hasAddress(req.To, m.list) && !hasAddress(req.Cc, m.list) {
		req.Cc = append(slices.Clone(req.Cc), lifecycle.Address{Email: m.list})
	}
	raw, err := mailmsg.BuildDraft(req, m.from, m.now())
	if err != nil {
		return lifecycle.Draft{}, fmt.Errorf("gmail: create draft: %w", err)
	}
	d, err := m.svc.Users.Drafts.Create(m.user, &gmailapi.Draft{Message: &gmailapi.Message{
		Raw:      base64.URLEncoding.EncodeToString(raw),
		ThreadId: req.ThreadID,
	}}).Context(ctx).Do()
	if err != nil {
		return lifecycle.Draft{}, wrapErr("create draft", req.ThreadID, err)
	}
	out := lifecycle.Draft{ID: d.Id, Key: req.Key, Subject: strings.TrimSpace(req.Subject), To: req.To}
	if d.Message != nil {
		out.ThreadID = d.Message.ThreadId
	}
	return out, nil
}

func hasAddress(list []lifecycle.Address, email string) bool {
	return slices.ContainsFunc(list, func(a lifecycle.Address) bool { return strings.EqualFold(a.Email, email) })
}

func draftOf(d *gmailapi.Draft) lifecycle.Draft {
	out := lifecycle.Draft{ID: d.Id}
	if d.Message == nil {
		return out
	}
	out.ThreadID = d.Message.ThreadId
	h := header(d.Message.Payload)
	out.Subject = mailmsg.DecodeHeader(h.Get("Subject"))
	out.To = mailmsg.Addresses(strings.Join(h["To"], ", "))
	out.Key = strings.TrimSpace(h.Get(mailmsg.DraftKeyHeader))
	return out
}

// headerMessage decodes one API message's headers. A message without a
// Message-ID header gets mailmsg.SyntheticMessageID of "gmail:<message id>",
// stable for the life of the message.
func headerMessage(gm *gmailapi.Message) lifecycle.Message {
	msg := mailmsg.HeaderMessage(header(gm.Payload))
	msg.ID = gm.Id
	if msg.MessageID == "" {
		msg.MessageID = mailmsg.SyntheticMessageID([]byte("gmail:" + gm.Id))
	}
	if msg.Date.IsZero() && gm.InternalDate > 0 {
		msg.Date = time.UnixMilli(gm.InternalDate).UTC()
	}
	msg.IsDraft = slices.Contains(gm.LabelIds, "DRAFT")
	return msg
}

// sortMessages orders messages by Gmail's arrival time (internalDate), which a
// sender cannot forge, keeping the API order for ties.
func sortMessages(msgs []lifecycle.Message, api []*gmailapi.Message) []lifecycle.Message {
	arrival := make(map[string]int64, len(api))
	for _, gm := range api {
		arrival[gm.Id] = gm.InternalDate
	}
	slices.SortStableFunc(msgs, func(a, b lifecycle.Message) int {
		x, y := arrival[a.ID], arrival[b.ID]
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return msgs
}

func header(p *gmailapi.MessagePart) mail.Header {
	h := mail.Header{}
	if p == nil {
		return h
	}
	for _, f := range p.Headers {
		if f == nil {
			continue
		}
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	return h
}

// maxDepth bounds the payload tree walk (mailmsg applies the same idea to raw
// MIME).
const maxDepth = 16

// payloadPart converts the API's decoded part tree to mailmsg's. Gmail has
// already removed the transfer encoding; data is base64url. Parts held as
// attachments (attachmentId, no data) have no body here.
func payloadPart(p *gmailapi.MessagePart, depth int) mailmsg.Part {
	h := header(p)
	_, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	out := mailmsg.Part{
		Header:    textproto.MIMEHeader(h),
		MediaType: strings.ToLower(p.MimeType),
		Charset:   params["charset"],
		Filename:  p.Filename,
	}
	disp := strings.ToLower(strings.TrimSpace(h.Get("Content-Disposition")))
	out.Attachment = p.Filename != "" && !strings.HasPrefix(disp, "inline") || strings.HasPrefix(disp, "attachment")
	if p.Body != nil && p.Body.Data != "" {
		out.Body = decodeData(p.Body.Data)
		out.Charset = effectiveCharset(out.Body, out.Charset)
	}
	if depth < maxDepth {
		for _, c := range p.Parts {
			if c != nil {
				out.Parts = append(out.Parts, payloadPart(c, depth+1))
			}
		}
	}
	return out
}

// effectiveCharset hedges against Gmail having converted a part to UTF-8
// already (not verified against the service): non-ASCII bytes that are valid
// UTF-8 under a legacy label are read as UTF-8, because legacy-encoded text is
// almost never valid UTF-8 by accident.
func effectiveCharset(body []byte, charset string) string {
	if charset == "" || strings.EqualFold(charset, "utf-8") {
		return charset
	}
	ascii := true
	for _, c := range body {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii && utf8.Valid(body) {
		return "utf-8"
	}
	return charset
}

// decodeData decodes the API's base64url data, with or without padding.
func decodeData(s string) []byte {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b
	}
	// Tolerate standard-alphabet data too.
	b, _ := base64.RawStdEncoding.DecodeString(s)
	return b
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// wrapErr names the operation and thread; 404 becomes lifecycle.ErrNotFound.
func wrapErr(op, threadID string, err error) error {
	where := "gmail: " + op
	if threadID != "" {
		where += " (thread " + threadID + ")"
	}
	if isNotFound(err) {
		return fmt.Errorf("%s: %w: %w", where, lifecycle.ErrNotFound, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}
