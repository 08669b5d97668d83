package lifecycle

import (
	"testing"
	"time"
)

func TestTriageProposalMarker(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	marker := TriageProposalMeta{Class: "VALID", At: at, By: "@mara-lindqvist"}.Marker()
	if marker != "<!-- triage-proposal v1 class=VALID at=2026-11-24T09:00:00Z by=mara-lindqvist -->" {
		t.Fatalf("Marker() = %q", marker)
	}
	older := TriageProposalMeta{Class: "INVALID", At: at.AddDate(0, 0, -3), By: "lena-vogt"}.Marker()
	tests := []struct {
		name      string
		body      string
		wantClass string
		wantOK    bool
		wantMeta  bool
	}{
		{"reference shape, no marker", "**Triage proposal**\n\n**Proposed disposition: INVALID.**", "INVALID", true, false},
		{"marker class wins over the first bold line", "**Triage proposal**\n\n**Proposed disposition: VALID.**\n\n<details><summary>Earlier</summary>\n\n**Proposed disposition: INVALID.**\n\n</details>\n\n" + marker, "VALID", true, true},
		{"marker without the headline is no proposal", "text\n" + marker, "", false, true},
		{"marker quoted inside a line does not count", "**Triage proposal**\n\n**Proposed disposition: DEFENSE-IN-DEPTH.**\n\nsee `" + marker + "`", "DEFENSE-IN-DEPTH", true, false},
		{"last marker line is read", "**Triage proposal**\n\n**Proposed disposition: VALID.**\n" + older + "\n" + marker, "VALID", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			class, ok := TriageProposalDisposition(tt.body)
			if class != tt.wantClass || ok != tt.wantOK {
				t.Errorf("TriageProposalDisposition = %q, %v; want %q, %v", class, ok, tt.wantClass, tt.wantOK)
			}
			meta, ok := ParseTriageProposalMarker(tt.body)
			if ok != tt.wantMeta {
				t.Fatalf("ParseTriageProposalMarker ok = %v, want %v", ok, tt.wantMeta)
			}
			if ok && (meta.Class != "VALID" || !meta.At.Equal(at) || meta.By != "mara-lindqvist") {
				t.Errorf("ParseTriageProposalMarker = %+v", meta)
			}
		})
	}
}

func TestCommentHasTag(t *testing.T) {
	tests := []struct {
		name, body, tag string
		want            bool
	}{
		{"last line", "**Triage proposal**\n\ntext\n<!-- triage-proposal v1 class=VALID -->", MarkerTriageProposalPrefix, true},
		{"indented line, CRLF", "a\r\n  <!-- triage-proposal v1 class=VALID -->\r\n", MarkerTriageProposalPrefix, true},
		{"inside a line", "see <!-- triage-proposal v1 --> here", MarkerTriageProposalPrefix, false},
		{"absent", "**Triage proposal**", MarkerTriageProposalPrefix, false},
		{"empty tag never matches", "x", "  ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CommentHasTag(tt.body, tt.tag); got != tt.want {
				t.Errorf("CommentHasTag = %v, want %v", got, tt.want)
			}
		})
	}
}
