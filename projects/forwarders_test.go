package projects

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadForwarders(t *testing.T) {
	cfg, err := Load(filepath.Join("example"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Forwarders) != 1 {
		t.Fatalf("example forwarders = %+v, want one", cfg.Forwarders)
	}
	f := cfg.Forwarders[0]
	if f.Name != "foundation-security" || !f.RequireBoth || len(f.CreditPatterns) != 3 || len(f.Contacts) != 1 {
		t.Errorf("example forwarder = %+v", f)
	}
}

func TestLoadForwarderProblems(t *testing.T) {
	cases := []struct {
		name string
		from string
		to   string
		// key, line locator, message fragment
		want [][3]string
	}{
		{
			name: "credit pattern without a credit group",
			from: `credit_patterns = ['This vulnerability was discovered and reported by (?P<credit>.+?)\.', `,
			to:   `credit_patterns = ['discovered by (.+?)\.', `,
			want: [][3]string{{"forwarders[0].credit_patterns[0]", "credit_patterns =", "named group (?P<credit>...)"}},
		},
		{
			name: "pattern that does not compile",
			from: `sender_pattern = '^security@your-foundation\.example\.org$'`,
			to:   `sender_pattern = '^security@(your'`,
			want: [][3]string{{"forwarders[0].sender_pattern", "sender_pattern =", "not a valid regular expression"}},
		},
		{
			name: "no sender pattern: the preamble alone is enough",
			from: "sender_pattern = '^security@your-foundation\\.example\\.org$'\n",
			to:   "sender_pattern = ''\n",
			want: nil,
		},
		{
			name: "contact is not an address",
			from: `contacts = ["Jane Liaison <jane.liaison@your-foundation.example.org>"]`,
			to:   `contacts = ["@jane-liaison"]`,
			want: [][3]string{{"forwarders[0].contacts[0]", "contacts =", "must be a mail address"}},
		},
		{
			name: "missing contacts",
			from: `contacts = ["Jane Liaison <jane.liaison@your-foundation.example.org>"]`,
			to:   `contacts = []`,
			want: [][3]string{{"forwarders[0].contacts", "contacts =", "is required"}},
		},
		{
			name: "name with spaces",
			from: `name = "foundation-security"`,
			to:   `name = "foundation security"`,
			want: [][3]string{{"forwarders[0].name", `name = "foundation security"`, "must be one word"}},
		},
		{
			name: "unknown key",
			from: "require_both = false",
			to:   "require_bothh = false",
			want: [][3]string{{"forwarders[0].require_bothh", "require_bothh", "is not a known setting"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, doc := copyProject(t, "_template", func(s string) string { return replaceOnce(t, s, tc.from, tc.to) })
			_, err := Load(dir)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load: got %v, want a *ValidationError", err)
			}
			file := filepath.Join(dir, FileName)
			for _, w := range tc.want {
				want := fmt.Sprintf("%s:%d: key %q ", file, lineOf(t, doc, w[1]), w[0])
				if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), w[2]) {
					t.Errorf("error does not contain %q ... %q:\n%v", want, w[2], err)
				}
			}
			if len(verr.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(verr.Problems), len(tc.want), err)
			}
		})
	}
}

func TestForwarderDetectionPatternsRequired(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, s string) string
		want string
	}{
		{"neither pattern", func(t *testing.T, s string) string {
			s = replaceOnce(t, s, "sender_pattern = '^security@your-foundation\\.example\\.org$'", "sender_pattern = ''")
			return replaceOnce(t, s, "preamble_pattern = 'The security vulnerability report has been received by the Your Foundation Security Team'", "preamble_pattern = ''")
		}, "needs sender_pattern or preamble_pattern"},
		{"require both with one", func(t *testing.T, s string) string {
			s = replaceOnce(t, s, "sender_pattern = '^security@your-foundation\\.example\\.org$'", "sender_pattern = ''")
			return replaceOnce(t, s, "require_both = false", "require_both = true")
		}, "needs both sender_pattern and preamble_pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := copyProject(t, "_template", func(s string) string { return tc.edit(t, s) })
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
