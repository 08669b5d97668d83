package invalidate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/intake"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// avoidTerm is text the reply to the reporter must never carry, and why.
type avoidTerm struct {
	Text string
	Why  string
}

const (
	whyObserved = "the reporter's own CVSS or CWE (observed only: never echoed back as the team's assessment)"
	whyOther    = "another reporter of this tracker (credits, names and addresses of other reporters are private)"
)

// creditSplitRE splits a credit line into a name and its affiliations:
// "Tomas Berg (NorthSec Lab)", "Tomas Berg of NorthSec Lab", "Tomas Berg, NorthSec".
var creditSplitRE = regexp.MustCompile(`(?i)\s*(?:[()<>\[\],;|]|\s(?:of|from|at|with|for)\s|\s[-–—]\s)\s*`)

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// reporterAvoid lists what the reply must never carry (spec/intake.md §14.5,
// §19): the CVSS vectors, scores and CWEs observed in the report text (the
// tracker's description and the thread's root message), and the credit
// lines, names, affiliations and addresses of every other reporter the
// tracker records (a merged tracker holds several). own names the reply's
// reporter (their credit line or display name); own is never avoided. Terms
// the canned text itself holds are dropped: they are the project's words.
func reporterAvoid(is lifecycle.Issue, root lifecycle.Message, own, ownEmail, canned string) []avoidTerm {
	var out []avoidTerm
	seen := map[string]bool{}
	ownLow := strings.ToLower(own)
	cannedLow := strings.ToLower(canned)
	add := func(text, why string) {
		text = strings.Join(strings.Fields(text), " ")
		low := strings.ToLower(text)
		if len([]rune(text)) < 4 || seen[low] || strings.Contains(cannedLow, low) || (ownLow != "" && strings.Contains(ownLow, low)) {
			return
		}
		seen[low] = true
		out = append(out, avoidTerm{Text: text, Why: why})
	}

	body := lifecycle.ParseBody(is.Body)
	desc, _ := body.Get(lifecycle.FieldDescription)
	ex := intake.Extract(lifecycle.Message{Body: desc + "\n\n" + root.Body}, intake.ExtractContext{})
	for _, v := range append(slices.Clone(ex.ReporterCVSS), ex.ReporterCWE...) {
		add(v, whyObserved)
		// The same value written another way: the vector without its
		// "CVSS:3.1/" prefix, "CWE 79", "CWE79".
		if _, metrics, ok := strings.Cut(v, "/"); ok && strings.HasPrefix(strings.ToUpper(v), "CVSS:") {
			add(metrics, whyObserved)
		}
		if m := cweNumRE.FindStringSubmatch(v); m != nil {
			add("CWE "+m[1], whyObserved)
			add("CWE"+m[1], whyObserved)
			add("CWE_"+m[1], whyObserved)
		}
	}

	credits, _ := body.Get(lifecycle.FieldCredit)
	lines := nonEmpty(credits)
	mine := 0 // no match: the first credit line is the reporter of the first recorded thread, the one answered
	for i, l := range lines {
		if ownLow != "" && (strings.Contains(strings.ToLower(l), ownLow) || strings.Contains(ownLow, strings.ToLower(l))) {
			mine = i
			break
		}
	}
	for i, l := range lines {
		if i == mine {
			continue
		}
		add(l, whyOther)
		for _, part := range creditSplitRE.Split(l, -1) {
			if strings.ContainsAny(part, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				add(part, whyOther)
				// Each name word on its own ("Mina", "Park"): matched as whole words.
				for _, w := range strings.Fields(part) {
					if w = strings.Trim(w, ".,;:'\""); len([]rune(w)) >= 4 && !strings.Contains(w, "@") {
						add(w, whyOther)
					}
				}
			}
		}
		for _, e := range emailRE.FindAllString(l, -1) {
			add(e, whyOther)
		}
	}
	for _, m := range lifecycle.ParseIntakeMetas(is.Body) {
		if m.Reporter != "" && !strings.EqualFold(m.Reporter, ownEmail) {
			add(m.Reporter, whyOther)
		}
	}
	return out
}

var cweNumRE = regexp.MustCompile(`(?i)^CWE[-_ ]?(\d+)$`)

// avoidHits names the avoided terms the reply carries (whole words,
// case-insensitive, as the executor checks them), with why.
func avoidHits(text string, terms []avoidTerm) []string {
	var out []string
	for _, t := range terms {
		if lifecycle.ContainsTerm(text, t.Text) {
			out = append(out, fmt.Sprintf("%q is %s", t.Text, t.Why))
		}
	}
	return out
}

func avoidTexts(terms []avoidTerm) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = t.Text
	}
	return out
}

func nonEmpty(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "_No response_" {
			out = append(out, l)
		}
	}
	return out
}
