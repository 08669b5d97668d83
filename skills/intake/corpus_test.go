package intake

import (
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// The corpus under testdata/mail is realistic mail written for these tests:
// each file is one thread (messages separated by a "%%%% next message %%%%"
// line), and its first message carries the expected class and the signals
// that must fire in X-Test-Class and X-Test-Signals headers.

const messageSeparator = "\n%%%% next message %%%%\n"

// testContext is the fictional project the corpus is written for.
func testContext() Context {
	return Context{
		SecurityList:       "security@larkspur.example.org",
		FoundationSecurity: "security@foundation.example.org",
		TeamEmails:         []string{"alice@larkspur.example.org", "Bob@Example.net", "carol@larkspur.example.org"},
		Upstream:           "larkspur/larkspur",
		ProductNames:       []string{"Larkspur", "Apache Larkspur"},
		HasBugBounty:       false,
		CVEToolURL:         "https://cveprocess.foundation.example.org/",
		KnownCVEs:          []string{"CVE-2025-31337", "CVE-2024-50123"},
		TrackerRepo:        "larkspur/larkspur-security",
	}
}

type corpusMail struct {
	file    string
	class   Class
	signals []string
	thread  lifecycle.Thread
}

func loadCorpus(t testing.TB) []corpusMail {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var out []corpusMail
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		cm := corpusMail{file: filepath.Base(f), thread: lifecycle.Thread{ID: filepath.Base(f)}}
		for i, part := range strings.Split(string(raw), messageSeparator) {
			m, hdr, err := parseTestMessage(part)
			if err != nil {
				t.Fatalf("%s message %d: %v", f, i+1, err)
			}
			if i == 0 {
				cls, err := ParseClass(hdr.Get("X-Test-Class"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				cm.class = cls
				for _, s := range strings.Split(hdr.Get("X-Test-Signals"), ",") {
					if s = strings.TrimSpace(s); s != "" {
						cm.signals = append(cm.signals, s)
					}
				}
			}
			cm.thread.Messages = append(cm.thread.Messages, m)
		}
		out = append(out, cm)
	}
	return out
}

// parseTestMessage reads one RFC 5322 message into a lifecycle.Message.
func parseTestMessage(raw string) (lifecycle.Message, mail.Header, error) {
	msg, err := mail.ReadMessage(strings.NewReader(strings.TrimLeft(raw, "\n")))
	if err != nil {
		return lifecycle.Message{}, nil, fmt.Errorf("parse message: %w", err)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return lifecycle.Message{}, nil, fmt.Errorf("read body: %w", err)
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil {
		return lifecycle.Message{}, nil, fmt.Errorf("parse From %q: %w", msg.Header.Get("From"), err)
	}
	date, err := msg.Header.Date()
	if err != nil {
		return lifecycle.Message{}, nil, fmt.Errorf("parse Date: %w", err)
	}
	subject := msg.Header.Get("Subject")
	if dec, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = dec
	}
	return lifecycle.Message{
		ID:        msg.Header.Get("Message-ID"),
		MessageID: lifecycle.NormalizeMessageID(msg.Header.Get("Message-ID")),
		InReplyTo: lifecycle.NormalizeMessageID(msg.Header.Get("In-Reply-To")),
		From:      lifecycle.Address{Name: from.Name, Email: from.Address},
		Subject:   subject,
		Date:      date.UTC(),
		Body:      string(body),
		DraftKey:  msg.Header.Get("X-Vulnsteward-Draft-Key"),
	}, msg.Header, nil
}

func TestSuggestCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	ctx := testContext()
	perClass := map[Class][2]int{} // correct, total
	var misses []string
	for _, cm := range corpus {
		t.Run(cm.file, func(t *testing.T) {
			got := Suggest(cm.thread, ctx)
			pc := perClass[cm.class]
			pc[1]++
			if got.Class == cm.class {
				pc[0]++
			} else {
				misses = append(misses, fmt.Sprintf("%s: want %s, got %s", cm.file, cm.class, got.Class))
				t.Errorf("class = %q, want %q\nsignals: %s\ndoubts: %q", got.Class, cm.class, signalSummary(got), got.Doubts)
			}
			perClass[cm.class] = pc
			for _, s := range cm.signals {
				if !got.Has(s) {
					t.Errorf("signal %q did not fire; fired: %s", s, signalSummary(got))
				}
			}
			if got.Final != (got.Class == ClassBookkeeping) {
				t.Errorf("Final = %v for class %s", got.Final, got.Class)
			}
		})
	}
	var classes []string
	correct, total := 0, 0
	for c, pc := range perClass {
		classes = append(classes, fmt.Sprintf("%s %d/%d", c, pc[0], pc[1]))
		correct += pc[0]
		total += pc[1]
	}
	sort.Strings(classes)
	t.Logf("corpus accuracy %d/%d: %s", correct, total, strings.Join(classes, "; "))
	for _, m := range misses {
		t.Log("miss: " + m)
	}
}

func signalSummary(s Suggestion) string {
	var parts []string
	for _, sig := range s.Signals {
		parts = append(parts, fmt.Sprintf("%s→%s (%s)", sig.Name, sig.Points, sig.Detail))
	}
	return strings.Join(parts, "; ")
}

// day is a helper for dates in thread tests.
func day(d int) time.Time { return time.Date(2025, 3, d, 9, 0, 0, 0, time.UTC) }
