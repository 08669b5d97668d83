package local

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// MaildirKind is the Mail.Kind of the Maildir backend; its thread ids are
// normalised root Message-IDs.
const MaildirKind = "maildir"

// MaildirOptions configures a Maildir mailbox.
type MaildirOptions struct {
	// DraftsDir receives reply drafts as RFC 5322 files; by default the
	// directory "drafts" beside the mailbox (<parent of dir>/drafts).
	DraftsDir string
	// From is the From address of drafts (the security team's address).
	From lifecycle.Address
	// Now dates drafts; time.Now when nil.
	Now func() time.Time
	// Faults, when set, fails chosen calls (tests only).
	Faults *Faults
}

// Maildir is the security list's mailbox read from a Maildir (<dir>/new and
// <dir>/cur), implementing lifecycle.Mail. Existing mail is never moved, flagged
// or changed; drafts are written to the drafts directory and never sent. Thread
// ids are normalised root Message-IDs (mailmsg.GroupThreads).
//
// Parsed messages are cached by file name, size and modification time, and the
// thread index is reused while the directories are unchanged, so listing a
// large mailbox repeatedly costs a few stats. Safe for concurrent use.
type Maildir struct {
	dir    string
	drafts string
	opts   MaildirOptions

	mu      sync.Mutex
	files   map[string]cachedFile // by path
	index   *mailIndex
	dirSeen map[string]time.Time // directory mtimes the index was built from
	scanned time.Time            // wall-clock start of the last full scan
	// draftsScanned is the start of the last scan of the drafts directory: a new
	// draft rescans only that directory, not the whole mailbox.
	draftsScanned time.Time
	sig           [sha256.Size]byte // names, sizes and mtimes of the files the index holds
}

type cachedFile struct {
	size  int64
	mtime time.Time
	msg   lifecycle.Message
	ok    bool // false: unparsable, skipped
}

// mailIndex is one consistent view of the mailbox and the drafts.
type mailIndex struct {
	threads   map[string]lifecycle.Thread // by thread id, non-draft messages only
	summaries []lifecycle.ThreadSummary   // newest activity first
	threadOf  map[string]string           // normalised Message-ID -> thread id
	pathOf    map[string]string           // message ID (file's unique name) -> path
	drafts    []draftFile                 // oldest first
}

type draftFile struct {
	msg      lifecycle.Message
	threadID string
}

var _ lifecycle.Mail = (*Maildir)(nil)

// OpenMaildir opens the Maildir at dir, which must have a new or cur subdirectory.
func OpenMaildir(dir string, opts MaildirOptions) (*Maildir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local: open maildir %s: %w", dir, err)
	}
	var found bool
	for _, sub := range []string{"new", "cur"} {
		fi, err := os.Stat(filepath.Join(abs, sub))
		if err == nil && fi.IsDir() {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("local: open maildir %s: no new/ or cur/ directory", dir)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	drafts := opts.DraftsDir
	if drafts == "" {
		drafts = filepath.Join(filepath.Dir(abs), "drafts")
	}
	if drafts, err = filepath.Abs(drafts); err != nil {
		return nil, fmt.Errorf("local: open maildir %s: drafts dir: %w", dir, err)
	}
	return &Maildir{dir: abs, drafts: drafts, opts: opts, files: map[string]cachedFile{}}, nil
}

// DraftsDir is where drafts are written.
func (m *Maildir) DraftsDir() string { return m.drafts }

// Kind is "maildir".
func (m *Maildir) Kind() string { return MaildirKind }

// ListThreads lists threads with a message dated on or after since, newest
// activity first. Drafts are not counted.
func (m *Maildir) ListThreads(ctx context.Context, since time.Time) ([]lifecycle.ThreadSummary, error) {
	if before, _ := m.opts.Faults.begin("ListThreads", false); before != nil {
		return nil, fmt.Errorf("local maildir: list threads: %w", before)
	}
	idx, err := m.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("local maildir: list threads: %w", err)
	}
	out := []lifecycle.ThreadSummary{}
	for _, s := range idx.summaries {
		if !s.LastDate.Before(since) {
			out = append(out, s)
		}
	}
	return out, nil
}

// ReadThread returns the thread's messages in chronological order, including
// this program's pending drafts on it (IsDraft set).
func (m *Maildir) ReadThread(ctx context.Context, id string) (lifecycle.Thread, error) {
	if before, _ := m.opts.Faults.begin("ReadThread", false); before != nil {
		return lifecycle.Thread{}, fmt.Errorf("local maildir: read thread %s: %w", id, before)
	}
	idx, err := m.load(ctx)
	if err != nil {
		return lifecycle.Thread{}, fmt.Errorf("local maildir: read thread %s: %w", id, err)
	}
	th, ok := idx.threads[lifecycle.NormalizeMessageID(id)]
	if !ok {
		return lifecycle.Thread{}, fmt.Errorf("local maildir: read thread %s: %w", id, lifecycle.ErrNotFound)
	}
	out := lifecycle.Thread{ID: th.ID, Messages: slices.Clone(th.Messages)}
	for _, d := range idx.drafts {
		if d.threadID == th.ID {
			out.Messages = append(out.Messages, d.msg)
		}
	}
	slices.SortStableFunc(out.Messages, func(a, b lifecycle.Message) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// ListDrafts lists the drafts in the drafts directory, oldest first; threadID ""
// lists all, else those whose In-Reply-To/References resolve to the thread.
func (m *Maildir) ListDrafts(ctx context.Context, threadID string) ([]lifecycle.Draft, error) {
	if before, _ := m.opts.Faults.begin("ListDrafts", false); before != nil {
		return nil, fmt.Errorf("local maildir: list drafts: %w", before)
	}
	idx, err := m.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("local maildir: list drafts: %w", err)
	}
	want := lifecycle.NormalizeMessageID(threadID)
	out := []lifecycle.Draft{}
	for _, d := range idx.drafts {
		if want == "" || d.threadID == want {
			out = append(out, draftOf(d))
		}
	}
	return out, nil
}

func draftOf(d draftFile) lifecycle.Draft {
	return lifecycle.Draft{ID: d.msg.ID, ThreadID: d.threadID, Key: d.msg.DraftKey, Subject: d.msg.Subject, To: d.msg.To}
}

// CreateDraft writes a plain-text reply draft into the drafts directory. With a
// ThreadID, the thread must exist (ErrNotFound otherwise) and In-Reply-To and
// References default to its newest message. A draft whose Key matches a pending
// draft is not written again: the pending draft is returned.
func (m *Maildir) CreateDraft(ctx context.Context, req lifecycle.DraftRequest) (lifecycle.Draft, error) {
	before, after := m.opts.Faults.begin("CreateDraft", true)
	if before != nil {
		return lifecycle.Draft{}, fmt.Errorf("local maildir: create draft: %w", before)
	}
	d, err := m.createDraft(ctx, req)
	if err != nil {
		return lifecycle.Draft{}, fmt.Errorf("local maildir: create draft: %w", err)
	}
	if after != nil {
		return lifecycle.Draft{}, fmt.Errorf("local maildir: create draft: %w", after)
	}
	return d, nil
}

func (m *Maildir) createDraft(ctx context.Context, req lifecycle.DraftRequest) (lifecycle.Draft, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	idx, err := m.loadLocked(ctx)
	if err != nil {
		return lifecycle.Draft{}, err
	}
	if req.Key != "" {
		for _, d := range idx.drafts {
			if d.msg.DraftKey == req.Key {
				return draftOf(d), nil
			}
		}
	}
	if req.ThreadID != "" {
		th, ok := idx.threads[lifecycle.NormalizeMessageID(req.ThreadID)]
		if !ok {
			return lifecycle.Draft{}, fmt.Errorf("thread %s: %w", req.ThreadID, lifecycle.ErrNotFound)
		}
		last := th.Messages[len(th.Messages)-1]
		if req.InReplyTo == "" {
			req.InReplyTo = last.MessageID
		}
		if len(req.References) == 0 {
			req.References = append(slices.Clone(last.References), last.MessageID)
		}
	}
	raw, err := mailmsg.BuildDraft(req, m.opts.From, m.opts.Now())
	if err != nil {
		return lifecycle.Draft{}, err
	}
	name, err := m.writeDraft(raw)
	if err != nil {
		return lifecycle.Draft{}, err
	}
	m.draftsScanned = time.Time{} // the next read rescans the drafts directory (only) and sees the new draft
	msg, err := mailmsg.Parse(raw)
	if err != nil {
		return lifecycle.Draft{}, fmt.Errorf("re-read draft %s: %w", name, err)
	}
	msg.ID = name
	return draftOf(draftFile{msg: msg, threadID: resolveThread(msg, idx.threadOf)}), nil
}

// writeDraft stores raw under a new name in the drafts directory, atomically
// (temporary file, then rename), and returns the name: the draft id.
func (m *Maildir) writeDraft(raw []byte) (string, error) {
	if err := os.MkdirAll(m.drafts, 0o700); err != nil {
		return "", fmt.Errorf("drafts directory: %w", err)
	}
	sum := sha256.Sum256(raw)
	base := m.opts.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(sum[:6])
	tmp, err := os.CreateTemp(m.drafts, ".tmp-draft-*")
	if err != nil {
		return "", fmt.Errorf("write draft: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write draft: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write draft: %w", err)
	}
	for i := 1; i < 1000; i++ {
		name := base + ".eml"
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ".eml"
		}
		// A hard link fails if the name exists: no draft is ever overwritten.
		err := os.Link(tmp.Name(), filepath.Join(m.drafts, name))
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("write draft %s: %w", name, err)
		}
	}
	return "", fmt.Errorf("write draft: no free name for %s", base)
}

// ThreadURL is the file:// URL of the thread's root message, "" when unknown.
func (m *Maildir) ThreadURL(threadID string) string {
	idx, err := m.load(context.Background())
	if err != nil {
		return ""
	}
	th, ok := idx.threads[lifecycle.NormalizeMessageID(threadID)]
	if !ok {
		return ""
	}
	root, ok := th.Root()
	if !ok {
		return ""
	}
	p, ok := idx.pathOf[root.ID]
	if !ok {
		return ""
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// load returns a current index, rebuilding it when the directories changed.
func (m *Maildir) load(ctx context.Context) (*mailIndex, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(ctx)
}

func (m *Maildir) dirs() []string {
	return []string{filepath.Join(m.dir, "new"), filepath.Join(m.dir, "cur"), m.drafts}
}

// dirFresh reports whether the index still describes directory d, scanned at
// scanned. A directory's mtime changes whenever a file is added, removed or
// renamed in it (Maildir files are never rewritten in place). A change made
// within the timestamp granularity of the previous scan could leave the mtime
// unchanged, so a recent mtime ("racy", as git calls it) forces a rescan.
func (m *Maildir) dirFresh(d string, scanned time.Time) (time.Time, bool) {
	var mt time.Time
	if fi, err := os.Stat(d); err == nil {
		mt = fi.ModTime()
	}
	ok := m.index != nil && mt.Equal(m.dirSeen[d])
	granularity := 20 * time.Millisecond
	if mt.Nanosecond() == 0 {
		granularity = 2 * time.Second
	}
	if !mt.IsZero() && scanned.Sub(mt) <= granularity {
		ok = false
	}
	return mt, ok
}

func (m *Maildir) loadLocked(ctx context.Context) (*mailIndex, error) {
	seen := map[string]time.Time{}
	mailOK := true
	for _, d := range m.dirs()[:2] {
		mt, ok := m.dirFresh(d, m.scanned)
		seen[d] = mt
		mailOK = mailOK && ok
	}
	mt, draftsOK := m.dirFresh(m.drafts, m.draftsScanned)
	seen[m.drafts] = mt
	if mailOK && draftsOK {
		return m.index, nil
	}
	if mailOK {
		return m.reloadDrafts(ctx, mt)
	}
	start := time.Now()
	live := map[string]bool{}
	sig := sha256.New()
	var found [2][]scannedFile
	for i, sub := range []string{"new", "cur"} {
		f, err := m.scanDir(ctx, filepath.Join(m.dir, sub), live, sig)
		if err != nil {
			return nil, err
		}
		found[i] = f
	}
	drafts, err := m.scanDir(ctx, m.drafts, live, sig)
	if err != nil {
		return nil, err
	}
	for p := range m.files {
		if !live[p] {
			delete(m.files, p) // forget files that are gone
		}
	}
	var sum [sha256.Size]byte
	sig.Sum(sum[:0])
	if m.index != nil && sum == m.sig {
		// Same files, same sizes and mtimes: the directories were touched
		// (or their mtime is too recent to trust) but nothing changed.
		m.dirSeen, m.scanned, m.draftsScanned = seen, start, start
		return m.index, nil
	}
	var msgs []lifecycle.Message
	pathOf := map[string]string{}
	for i, sub := range []string{"new", "cur"} {
		for _, f := range found[i] {
			msg := f.msg
			msg.ID = maildirUnique(filepath.Base(f.path))
			if _, dup := pathOf[msg.ID]; dup {
				msg.ID = sub + "/" + msg.ID
			}
			pathOf[msg.ID] = f.path
			msgs = append(msgs, msg)
		}
	}
	threads := mailmsg.GroupThreads(msgs)
	idx := &mailIndex{
		threads:  make(map[string]lifecycle.Thread, len(threads)),
		threadOf: make(map[string]string, len(msgs)),
		pathOf:   pathOf,
	}
	for _, th := range threads {
		idx.threads[th.ID] = th
		for _, msg := range th.Messages {
			idx.threadOf[msg.MessageID] = th.ID
		}
		root, _ := th.Root()
		idx.summaries = append(idx.summaries, lifecycle.ThreadSummary{
			ID: th.ID, Subject: root.Subject, From: root.From, Date: root.Date,
			LastDate: th.Messages[len(th.Messages)-1].Date, RootMessageID: root.MessageID,
			MessageCount: len(th.Messages),
		})
	}
	slices.SortFunc(idx.summaries, func(a, b lifecycle.ThreadSummary) int {
		if c := b.LastDate.Compare(a.LastDate); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	idx.drafts = draftFiles(drafts, idx.threadOf)
	m.index, m.dirSeen, m.scanned, m.draftsScanned, m.sig = idx, seen, start, start, sum
	return idx, nil
}

// reloadDrafts rescans only the drafts directory (the mailbox is unchanged).
func (m *Maildir) reloadDrafts(ctx context.Context, mtime time.Time) (*mailIndex, error) {
	start := time.Now()
	live := map[string]bool{}
	drafts, err := m.scanDraftsDir(ctx, live)
	if err != nil {
		return nil, err
	}
	prefix := filepath.Clean(m.drafts) + string(filepath.Separator)
	for p := range m.files {
		if strings.HasPrefix(p, prefix) && !live[p] {
			delete(m.files, p)
		}
	}
	idx := *m.index
	idx.drafts = draftFiles(drafts, idx.threadOf)
	m.index = &idx
	m.dirSeen[m.drafts] = mtime
	m.draftsScanned = start
	return m.index, nil
}

// draftFiles turns scanned draft files into the index's drafts, oldest first.
func draftFiles(found []scannedFile, threadOf map[string]string) []draftFile {
	out := make([]draftFile, 0, len(found))
	for _, f := range found {
		msg := f.msg
		msg.ID = filepath.Base(f.path)
		msg.IsDraft = true
		out = append(out, draftFile{msg: msg, threadID: resolveThread(msg, threadOf)})
	}
	slices.SortStableFunc(out, func(a, b draftFile) int {
		if c := a.msg.Date.Compare(b.msg.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.msg.ID, b.msg.ID)
	})
	return out
}

type scannedFile struct {
	path string
	msg  lifecycle.Message
}

// scanDir parses the regular files of dir (skipping dot files), from the cache
// when name, size and mtime are unchanged, and adds them to the signature sig.
// Unparsable files are skipped. A missing directory is empty.
func (m *Maildir) scanDir(ctx context.Context, dir string, live map[string]bool, sig hash.Hash) ([]scannedFile, error) {
	return m.scan(ctx, dir, live, sig, false)
}

// scanDraftsDir is scanDir for the drafts directory, where this program writes
// each draft once under a new name (temporary file, then rename) and never
// rewrites it: a cached name needs no stat, so rescanning after each new draft
// costs a directory read, not a stat per draft.
func (m *Maildir) scanDraftsDir(ctx context.Context, live map[string]bool) ([]scannedFile, error) {
	return m.scan(ctx, m.drafts, live, nil, true)
}

func (m *Maildir) scan(ctx context.Context, dir string, live map[string]bool, sig hash.Hash, namesOnly bool) ([]scannedFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	out := make([]scannedFile, 0, len(entries))
	for i, e := range entries {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		if namesOnly {
			path := filepath.Join(dir, e.Name())
			if c, hit := m.files[path]; hit {
				live[path] = true
				if c.ok {
					out = append(out, scannedFile{path: path, msg: c.msg})
				}
				continue
			}
		}
		fi, err := e.Info()
		if err != nil {
			continue // vanished between ReadDir and stat
		}
		path := filepath.Join(dir, e.Name())
		live[path] = true
		if sig != nil {
			fmt.Fprintf(sig, "%s\x00%d\x00%d\n", path, fi.Size(), fi.ModTime().UnixNano())
		}
		c, hit := m.files[path]
		if !hit || c.size != fi.Size() || !c.mtime.Equal(fi.ModTime()) {
			c = cachedFile{size: fi.Size(), mtime: fi.ModTime()}
			raw, err := readFileLimit(path, maxMessageBytes)
			if err == nil {
				c.msg, err = mailmsg.Parse(raw)
			}
			c.ok = err == nil
			m.files[path] = c
		}
		if c.ok {
			out = append(out, scannedFile{path: path, msg: c.msg})
		}
	}
	return out, nil
}

// maxMessageBytes bounds what one mail file may cost to read.
const maxMessageBytes = 64 << 20

func readFileLimit(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return raw, nil
}

// maildirUnique is a Maildir file name without its ":2,<flags>" info suffix, so a
// mail client marking a message read does not change its id.
func maildirUnique(name string) string {
	u, _, _ := strings.Cut(name, ":")
	return u
}

// resolveThread finds a draft's thread from In-Reply-To, then References
// (nearest first); "" when none of them is in the mailbox.
func resolveThread(msg lifecycle.Message, threadOf map[string]string) string {
	if id, ok := threadOf[msg.InReplyTo]; ok && msg.InReplyTo != "" {
		return id
	}
	for i := len(msg.References) - 1; i >= 0; i-- {
		if id, ok := threadOf[msg.References[i]]; ok {
			return id
		}
	}
	return ""
}

// SeedMaildir copies the *.eml files of srcDir into <maildir>/new (creating the
// Maildir's new, cur and tmp directories). A message already delivered under the
// same name, in new/ or cur/, is left alone, so seeding twice is harmless.
func SeedMaildir(srcDir, maildir string) error {
	matches, err := filepath.Glob(filepath.Join(srcDir, "*.eml"))
	if err != nil {
		return fmt.Errorf("local: seed maildir: %w", err)
	}
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, sub), 0o700); err != nil {
			return fmt.Errorf("local: seed maildir: %w", err)
		}
	}
	cur, err := os.ReadDir(filepath.Join(maildir, "cur"))
	if err != nil {
		return fmt.Errorf("local: seed maildir: %w", err)
	}
	inCur := map[string]bool{}
	for _, e := range cur {
		inCur[maildirUnique(e.Name())] = true
	}
	for _, src := range matches {
		name := filepath.Base(src)
		dst := filepath.Join(maildir, "new", name)
		if inCur[name] {
			continue
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("local: seed maildir: %w", err)
		}
		if old, err := os.ReadFile(dst); err == nil {
			if bytes.Equal(old, raw) {
				continue
			}
			return fmt.Errorf("local: seed maildir: %s exists with different content", dst)
		}
		// Deliver the Maildir way: write in tmp/, then rename into new/.
		tmp := filepath.Join(maildir, "tmp", name)
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			return fmt.Errorf("local: seed maildir: %w", err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("local: seed maildir: %w", err)
		}
	}
	return nil
}
