package intake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// The fuzz targets feed attacker-controlled mail to every rule: nothing may
// panic, and the title invariants (§18.20) must hold for any subject.

func fuzzSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		head, body, _ := strings.Cut(string(raw), "\n\n")
		subject := ""
		for _, l := range strings.Split(head, "\n") {
			if s, ok := strings.CutPrefix(l, "Subject: "); ok {
				subject = s
			}
		}
		f.Add(subject, body, "Reporter", "r@x.example")
	}
	f.Add("Re: \u202e[SECURITY]\u200b", "Affected versions: >= - < 1..2 between and", "", "@")
	f.Add("#", "```\n### x\n~~~", "dependabot[bot]", "noreply@")
}

func FuzzSuggest(f *testing.F) {
	fuzzSeeds(f)
	ctx := testContext()
	f.Fuzz(func(t *testing.T, subject, body, name, email string) {
		root := lifecycle.Message{From: lifecycle.Address{Name: name, Email: email}, Subject: subject, Body: body, Date: day(1)}
		reply := lifecycle.Message{From: lifecycle.Address{Email: "alice@larkspur.example.org"}, Body: body, Date: day(2)}
		th := lifecycle.Thread{Messages: []lifecycle.Message{root, reply, root}}
		s := Suggest(th, ctx)
		if _, err := ParseClass(string(s.Class)); err != nil {
			t.Fatalf("Suggest returned an unknown class %q", s.Class)
		}
		if s.Final && s.Class != ClassBookkeeping {
			t.Fatalf("final %s", s.Class)
		}
		AlreadyAnswered(th, ctx, []string{subject, body}, day(1).Add(30*24*time.Hour))
	})
}

func FuzzExtract(f *testing.F) {
	fuzzSeeds(f)
	ec := testExtractContext()
	f.Fuzz(func(t *testing.T, subject, body, name, email string) {
		ex := Extract(lifecycle.Message{From: lifecycle.Address{Name: name, Email: email}, Subject: subject, Body: body}, ec)
		if ex.Description != body {
			t.Fatal("description is not verbatim")
		}
		title := ex.Title
		if utf8.RuneCountInString(title) > maxTitleRunes || strings.ContainsAny(title, "\n\r") || strings.HasPrefix(title, "#") {
			t.Fatalf("title breaks an invariant: %q", title)
		}
		for _, r := range title {
			if isInvisible(r) {
				t.Fatalf("title keeps invisible %U: %q", r, title)
			}
		}
		if _, w := CVETitle(subject, CVETitleConfig{ProjectNames: []string{"Apache Larkspur"}, ProductNames: []string{"Larkspur"}}); w == nil && false {
			t.Fatal("unreachable")
		}
		IsBot(name)
		IsBot(email)
	})
}
