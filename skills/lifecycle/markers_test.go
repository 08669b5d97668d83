package lifecycle

import "testing"

func TestCommentHasMarker(t *testing.T) {
	tests := []struct {
		name, body, marker string
		want               bool
	}{
		{"first line", MarkerHandoff + "\n## Hand-off", MarkerHandoff, true},
		{"leading blank line", "\n" + MarkerWrapUp + "\nx", MarkerWrapUp, true},
		{"marker later in the body", "preamble\n" + MarkerHandoff, MarkerHandoff, false},
		{"other marker", MarkerPublicationReady, MarkerHandoff, false},
		{"marker prefix form", "<!-- rejection-backfill v1 count: 12 -->", MarkerRejectionBackfillPrefix, true},
		{"empty marker never matches", "x", " ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CommentHasMarker(tt.body, tt.marker); got != tt.want {
				t.Errorf("CommentHasMarker = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsSkillAuthored(t *testing.T) {
	for body, want := range map[string]bool{
		MarkerFillFields + "\nbody":                   true,
		MarkerDisclosureOverdue:                       true,
		MarkerRoutingViaForwarder + "\nforwarder: x":  true,
		"<!-- vulnsteward entry x -->":                true,
		DefaultRollupMarker + "\n<details>":           true,
		LedgerEntry("2026-01-01", "a", "b", "c", "d"): true,
		RejectionBackfillMarker(3):                    true,
		"**Sync 2026-04-01** legacy":                  false,
		"LGTM <!-- apache-magpie: x -->":              false,
	} {
		if got := IsSkillAuthored(body); got != want {
			t.Errorf("IsSkillAuthored(%q) = %v, want %v", body, got, want)
		}
	}
}

func TestTriageProposalDisposition(t *testing.T) {
	body := "**Triage proposal**\n\nSummary.\n\n**Proposed disposition: INVALID.**\n\nSeverity: low."
	if class, ok := TriageProposalDisposition(body); !ok || class != "INVALID" {
		t.Errorf("TriageProposalDisposition = %q, %v", class, ok)
	}
	if _, ok := TriageProposalDisposition("**Proposed disposition: INVALID.**"); ok {
		t.Error("a comment without the headline read as a triage proposal")
	}
	if _, ok := TriageProposalDisposition("**Triage proposal**\n\nno class"); ok {
		t.Error("a proposal without a disposition line read as one")
	}
}

func TestIsFoldableLegacy(t *testing.T) {
	long := make([]byte, 600)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name       string
		body       string
		wantAction string
		wantOK     bool
	}{
		{"bold sync", "**Sync 2026-03-01 — CVE-2026-1 allocated.**\n- x", "Sync", true},
		{"bold status update", "  **Status update**: waiting", "Sync", true},
		{"merged", "**Merged #305 into this tracker.**", "Merge", true},
		{"closing as duplicate", "**Closing as duplicate of #244.**", "Merge (dropped)", true},
		{"split", "**Split for scope clarity:** …", "Sync (scope split)", true},
		{"imported", "**Imported on 2026-01-02** from thread", "Import", true},
		{"escalation", "**Process-step escalation** (Step 4)", "Sync (Step 4 escalation)", true},
		{"allocated CVE", "**Allocated CVE-2026-1**", "CVE allocated", true},
		{"CVE allocated", "**CVE allocated:** CVE-2026-1", "CVE allocated", true},
		{"bare sync status", "Sync status (2026-01-02): ok", "Sync", true},
		{"bare sync date", "Sync 2026-01-02: labels", "Sync", true},
		{"bare status update", "Status update: x", "Sync", true},
		{"content tell", "Quick note.\nPosted by the security-issue-sync skill.", "Sync", true},
		{"content tell re-triage", "Needs re-triage after the reporter's reply", "Sync", true},
		{"content tell outstanding", "Notes\nOutstanding — Step 12 gate", "Sync", true},
		{"generate-cve-json embed anywhere", "Here is the JSON\n" + string(long) + "\n" + AttachmentBeginMarker("CVE-1"), "Sync", true},
		{"tell beyond the head is discussion", "I think " + string(long) + " we need a re-triage", "", false},
		{"case-sensitive prefix", "**sync 2026**", "", false},
		{"human discussion", "I think this is a duplicate of #12.", "", false},
		{"rollup never foldable", DefaultRollupMarker + "\n**Sync ", "", false},
		{"marker comment never foldable", MarkerHandoff + "\n**Sync ", "", false},
		{"empty", "  ", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action, ok := IsFoldableLegacy(tt.body)
			if action != tt.wantAction || ok != tt.wantOK {
				t.Errorf("IsFoldableLegacy = %q, %v; want %q, %v", action, ok, tt.wantAction, tt.wantOK)
			}
		})
	}
}

func TestLedgerEntry(t *testing.T) {
	got := LedgerEntry("2026-04-21", "Jane Doe <jane@example.org>", "not-a-vulnerability",
		"https://lists.example.org/thread/abc", "report of expected\nbehaviour\nsummary: forged")
	want := "<!-- rejection v1 -->\n" +
		"date: 2026-04-21\n" +
		"reporter: Jane Doe <jane@example.org>\n" +
		"canned: not-a-vulnerability\n" +
		"thread: https://lists.example.org/thread/abc\n" +
		"summary: report of expected behaviour summary: forged"
	if got != want {
		t.Errorf("LedgerEntry:\n got %q\nwant %q", got, want)
	}
	if !CommentHasMarker(got, MarkerRejection) {
		t.Error("ledger entry does not start with the rejection marker")
	}
}
