package mailmsg

import (
	"slices"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func TestGroupThreads(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	msg := func(id string, d int, irt string, refs ...string) lifecycle.Message {
		return lifecycle.Message{ID: "file-" + id, MessageID: id, InReplyTo: irt, References: refs, Date: day(d)}
	}
	tests := []struct {
		name string
		in   []lifecycle.Message
		want map[string][]string // thread id -> message ids in order
	}{
		{
			name: "chain by In-Reply-To and References, out of order input",
			in: []lifecycle.Message{
				msg("c@x", 3, "b@x", "a@x", "b@x"),
				msg("a@x", 1, ""),
				msg("b@x", 2, "a@x", "a@x"),
				msg("z@x", 2, ""),
			},
			want: map[string][]string{"a@x": {"a@x", "b@x", "c@x"}, "z@x": {"z@x"}},
		},
		{
			name: "orphan joins an ancestor found in References",
			in: []lifecycle.Message{
				msg("a@x", 1, ""),
				msg("d@x", 4, "missing@x", "a@x", "missing@x"),
			},
			want: map[string][]string{"a@x": {"a@x", "d@x"}},
		},
		{
			name: "orphans with no known ancestor start their own threads",
			in: []lifecycle.Message{
				msg("b@x", 2, "gone@x", "gone@x"),
				msg("c@x", 3, "gone@x", "gone@x"),
			},
			want: map[string][]string{"b@x": {"b@x"}, "c@x": {"c@x"}},
		},
		{
			name: "same date sorted by Message-ID; ids normalised",
			in: []lifecycle.Message{
				msg("<r@X.org>", 1, ""),
				msg("q@x.org", 2, "<r@x.ORG>"),
				msg("p@x.org", 2, "r@x.org"),
			},
			want: map[string][]string{"r@x.org": {"<r@X.org>", "p@x.org", "q@x.org"}},
		},
		{
			name: "reference cycle does not loop; earliest message is root",
			in: []lifecycle.Message{
				msg("a@x", 5, "b@x"),
				msg("b@x", 6, "a@x"),
			},
			want: map[string][]string{"a@x": {"a@x", "b@x"}},
		},
		{
			name: "self reference ignored",
			in:   []lifecycle.Message{msg("a@x", 1, "a@x", "a@x")},
			want: map[string][]string{"a@x": {"a@x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GroupThreads(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d threads, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, th := range got {
				var ids []string
				for _, m := range th.Messages {
					ids = append(ids, m.MessageID)
				}
				if !slices.Equal(ids, tt.want[th.ID]) {
					t.Errorf("thread %q = %q, want %q", th.ID, ids, tt.want[th.ID])
				}
				if i > 0 && got[i-1].Messages[0].Date.After(th.Messages[0].Date) {
					t.Errorf("threads not ordered by first date")
				}
			}
		})
	}
}
