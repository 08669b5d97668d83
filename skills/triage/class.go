package triage

import (
	"fmt"
	"strings"
)

// Class is one of the six triage dispositions (spec/intake.md §9.6).
type Class string

const (
	ClassValid            Class = "VALID"
	ClassDefenseInDepth   Class = "DEFENSE-IN-DEPTH"
	ClassInfoOnly         Class = "INFO-ONLY"
	ClassInvalid          Class = "INVALID"
	ClassProbableDup      Class = "PROBABLE-DUP"
	ClassFixAlreadyPublic Class = "FIX-ALREADY-PUBLIC"
)

// ClassInfo says when a class is proposed and what follows team consensus.
type ClassInfo struct {
	Class       Class  `json:"class"`
	ProposeWhen string `json:"propose_when"`
	Next        string `json:"after_consensus"`
}

// Classes are the six classes in the order the spec lists them.
var Classes = []ClassInfo{
	{ClassValid, "all: a documented model rule is violated (cite it); reachable without an already-trusted role; a fix is feasible upstream; the premise is verified against the code",
		"allocate a CVE (allocate_propose, Step 6); the scope label lands with sync"},
	{ClassDefenseInDepth, "all: fact-correct; the attack model is outside the model's boundary; hardening is still desirable",
		"close as wontfix; hardening welcome in a public PR (not a CVE)"},
	{ClassInfoOnly, "all: fact-correct; violates nothing; an existing canned response fully answers it (name it in `canned`)",
		"invalidate with that canned response (invalidate_propose)"},
	{ClassInvalid, "any: premise wrong (verified); circular; documented by design (cite it); a near-identical report was answered with a canned response and accepted",
		"invalidate (invalidate_propose)"},
	{ClassProbableDup, "any: same GHSA id as another tracker; code inside another tracker's fix range; same root cause and fix shape as a closed advisory (name it in `duplicate_of`)",
		"deduplicate into the other tracker (deduplicate_propose)"},
	{ClassFixAlreadyPublic, "all: an independent public upstream PR plausibly fixes it (name it in `public_fix_urls`); the PR was not filed because of this report; the premise is plausibly correct",
		"ask the reporter to verify; once confirmed, invalidate (credit stays blank); otherwise re-triage"},
}

// ParseClass reads a class case-insensitively; spaces and underscores count as "-".
func ParseClass(s string) (Class, error) {
	norm := strings.ToUpper(strings.Join(strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), "-"))
	for _, c := range Classes {
		if string(c.Class) == norm {
			return c.Class, nil
		}
	}
	names := make([]string, len(Classes))
	for i, c := range Classes {
		names[i] = string(c.Class)
	}
	return "", fmt.Errorf("class %q is not one of the six triage classes: %s", s, strings.Join(names, ", "))
}

// NextStep is what follows team consensus on the class.
func NextStep(c Class) string {
	for _, ci := range Classes {
		if ci.Class == c {
			return ci.Next
		}
	}
	return ""
}
