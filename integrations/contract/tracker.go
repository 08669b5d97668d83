package contract

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Fixture tells the suite what the tracker under test was created with. Keep it
// small: StandardFixture is what every backend is expected to set up.
type Fixture struct {
	// Labels exist in the repository's label set; at least three, none of them
	// on any issue the suite did not create.
	Labels []string
	// Collaborators are logins that can be assigned; at least one.
	Collaborators []string
	// Milestones exist; at least one.
	Milestones []string
	// BoardColumns are the project board's Status columns, at least two; empty
	// means no board is configured, and every board operation must then fail
	// with an error wrapping lifecycle.ErrUnsupported.
	BoardColumns []string
}

// StandardFixture is the fixture backends set up for the suite: the lifecycle's
// own label names, two collaborators, one milestone, the board's first columns.
func StandardFixture() Fixture {
	return Fixture{
		Labels:        []string{"needs triage", "security issue", "cve allocated", "invalid"},
		Collaborators: []string{"alice-sec", "bob-sec"},
		Milestones:    []string{"2.4.2"},
		BoardColumns:  []string{"Needs triage", "Assessed", "CVE allocated"},
	}
}

// UnknownLabel is a label no fixture defines.
const UnknownLabel = "contract-no-such-label"

// TestTracker runs the Tracker contract. newTracker returns a fresh tracker and
// the fixture it was set up with; it is called once per subtest.
//
// What it checks: issues are created with sequential numbers and github.com-shaped
// URLs, read back, listed and filtered by state, labels and update time; labels are
// added and removed in one call, an unknown label is an error naming it that
// changes nothing, removing an absent label is harmless; bodies are set; comments
// are created, listed in creation order, updated and deleted; issues close with a
// state reason and reopen; FindByIntakeKey sees a just-created issue and closed
// issues; Version changes on every write to the issue or its comments and never on
// a read; board moves add the item when absent and are repeatable, archiving is
// idempotent and a no-op for an issue not on the board; a missing issue or
// comment wraps lifecycle.ErrNotFound.
func TestTracker(t *testing.T, newTracker func(t *testing.T) (lifecycle.Tracker, Fixture)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, tr lifecycle.Tracker, fx Fixture)
	}{
		{"CreateAndGet", trackerCreateAndGet},
		{"CreateUnknownLabel", trackerCreateUnknownLabel},
		{"NotFound", trackerNotFound},
		{"ListFilter", trackerListFilter},
		{"EditLabels", trackerEditLabels},
		{"SetBody", trackerSetBody},
		{"Comments", trackerComments},
		{"CloseReopen", trackerCloseReopen},
		{"FindByIntakeKey", trackerFindByIntakeKey},
		{"Version", trackerVersion},
		{"AssigneesMilestones", trackerAssigneesMilestones},
		{"RepoSets", trackerRepoSets},
		{"Board", trackerBoard},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, fx := newTracker(t)
			checkFixture(t, fx)
			tc.run(t, tr, fx)
		})
	}
}

func checkFixture(t *testing.T, fx Fixture) {
	t.Helper()
	if len(fx.Labels) < 3 || len(fx.Collaborators) < 1 || len(fx.Milestones) < 1 || len(fx.BoardColumns) == 1 {
		t.Fatalf("fixture too small: need >= 3 labels, >= 1 collaborator, >= 1 milestone, 0 or >= 2 board columns: %+v", fx)
	}
}

// must stops the test on an error: must(tr.GetIssue(ctx, n))(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func create(t *testing.T, tr lifecycle.Tracker, title, body string, labels ...string) lifecycle.Issue {
	t.Helper()
	is, err := tr.CreateIssue(t.Context(), lifecycle.NewIssue{Title: title, Body: body, Labels: labels})
	if err != nil {
		t.Fatalf("CreateIssue(%q): %v", title, err)
	}
	return is
}

// sameLabels compares label sets case-insensitively, ignoring order.
func sameLabels(got, want []string) bool {
	norm := func(l []string) []string {
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = strings.ToLower(s)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(got), norm(want))
}

func trackerCreateAndGet(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	if tr.Repo() == "" || !strings.Contains(tr.Repo(), "/") {
		t.Errorf("Repo() = %q, want owner/name", tr.Repo())
	}
	a := create(t, tr, "First report", "body one", fx.Labels[0], fx.Labels[1])
	b := create(t, tr, "Second report", "body two")
	if a.Number <= 0 || b.Number != a.Number+1 {
		t.Errorf("numbers = %d, %d; want positive and sequential", a.Number, b.Number)
	}
	wantURL := "https://github.com/" + tr.Repo() + "/issues/" + strconv.Itoa(a.Number)
	if a.URL != wantURL {
		t.Errorf("URL = %q, want %q", a.URL, wantURL)
	}
	if a.State != "open" || a.Title != "First report" || a.Body != "body one" || a.Version == "" || a.CreatedAt.IsZero() {
		t.Errorf("created issue = %+v", a)
	}
	if !sameLabels(a.Labels, fx.Labels[:2]) {
		t.Errorf("labels = %q, want %q", a.Labels, fx.Labels[:2])
	}
	if a.Repo != tr.Repo() {
		t.Errorf("issue Repo = %q, want %q", a.Repo, tr.Repo())
	}
	got := must(tr.GetIssue(ctx, a.Number))(t)
	if got.Number != a.Number || got.Title != a.Title || got.Body != a.Body || got.URL != a.URL ||
		got.State != "open" || !sameLabels(got.Labels, a.Labels) || got.Version != a.Version {
		t.Errorf("GetIssue = %+v\nwant %+v", got, a)
	}
	if b.Labels == nil {
		t.Errorf("an issue without labels has Labels nil, want empty")
	}
}

func trackerCreateUnknownLabel(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	_, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: "Unknown label report", Body: "x", Labels: []string{fx.Labels[0], UnknownLabel}})
	if err == nil || !strings.Contains(err.Error(), UnknownLabel) {
		t.Fatalf("CreateIssue with unknown label: err = %v, want an error naming %q", err, UnknownLabel)
	}
	all := must(tr.ListIssues(ctx, lifecycle.IssueFilter{State: "all"}))(t)
	for _, is := range all {
		if is.Title == "Unknown label report" {
			t.Errorf("issue #%d was created despite the unknown label", is.Number)
		}
	}
}

func trackerNotFound(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	const missing = 987654
	is := create(t, tr, "Has comments", "b")
	c := must(tr.CreateComment(ctx, is.Number, "comment"))(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"GetIssue", func() error { _, err := tr.GetIssue(ctx, missing); return err }},
		{"Version", func() error { _, err := tr.Version(ctx, missing); return err }},
		{"SetBody", func() error { _, err := tr.SetBody(ctx, missing, "x"); return err }},
		{"EditLabels", func() error { _, err := tr.EditLabels(ctx, missing, []string{fx.Labels[0]}, nil); return err }},
		{"CloseIssue", func() error { _, err := tr.CloseIssue(ctx, missing, "completed"); return err }},
		{"ReopenIssue", func() error { _, err := tr.ReopenIssue(ctx, missing); return err }},
		{"ListComments", func() error { _, err := tr.ListComments(ctx, missing); return err }},
		{"CreateComment", func() error { _, err := tr.CreateComment(ctx, missing, "x"); return err }},
		{"UpdateComment missing comment", func() error { _, err := tr.UpdateComment(ctx, is.Number, c.ID+999999, "x"); return err }},
		{"DeleteComment missing comment", func() error { return tr.DeleteComment(ctx, is.Number, c.ID+999999) }},
	}
	for _, tc := range tests {
		if err := tc.call(); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("%s: err = %v, want it to wrap lifecycle.ErrNotFound", tc.name, err)
		}
	}
}

func trackerListFilter(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	l0, l1 := fx.Labels[0], fx.Labels[1]
	a := create(t, tr, "A", "a", l0)
	b := create(t, tr, "B", "b", l0, l1)
	c := create(t, tr, "C", "c", l1)
	must(tr.CloseIssue(ctx, c.Number, "completed"))(t)
	ours := []int{a.Number, b.Number, c.Number}
	a = must(tr.GetIssue(ctx, a.Number))(t)
	tests := []struct {
		name   string
		filter lifecycle.IssueFilter
		want   []int
	}{
		{"default is open", lifecycle.IssueFilter{}, []int{a.Number, b.Number}},
		{"open", lifecycle.IssueFilter{State: "open"}, []int{a.Number, b.Number}},
		{"closed", lifecycle.IssueFilter{State: "closed"}, []int{c.Number}},
		{"all", lifecycle.IssueFilter{State: "all"}, ours},
		{"one label", lifecycle.IssueFilter{Labels: []string{l0}}, []int{a.Number, b.Number}},
		{"every label must match", lifecycle.IssueFilter{State: "all", Labels: []string{l0, l1}}, []int{b.Number}},
		{"label and closed", lifecycle.IssueFilter{State: "closed", Labels: []string{l1}}, []int{c.Number}},
		{"since includes updated at", lifecycle.IssueFilter{State: "all", Since: a.UpdatedAt}, nil /* checked below */},
		{"since in the future", lifecycle.IssueFilter{State: "all", Since: a.UpdatedAt.Add(72 * time.Hour)}, []int{}},
	}
	for _, tc := range tests {
		got := must(tr.ListIssues(ctx, tc.filter))(t)
		var gotOurs []int
		for _, is := range got {
			if slices.Contains(ours, is.Number) {
				gotOurs = append(gotOurs, is.Number)
			}
		}
		slices.Sort(gotOurs)
		if tc.want == nil {
			if !slices.Contains(gotOurs, a.Number) {
				t.Errorf("%s: got %v, want it to include #%d", tc.name, gotOurs, a.Number)
			}
			continue
		}
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(gotOurs, want) && !(len(gotOurs) == 0 && len(want) == 0) {
			t.Errorf("%s: got %v, want %v", tc.name, gotOurs, want)
		}
	}
}

func trackerEditLabels(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	l0, l1, l2 := fx.Labels[0], fx.Labels[1], fx.Labels[2]
	is := create(t, tr, "Labels", "b", l0)

	got := must(tr.EditLabels(ctx, is.Number, []string{l1}, []string{l0}))(t)
	if !sameLabels(got.Labels, []string{l1}) {
		t.Errorf("add %q remove %q: labels = %q, want [%q]", l1, l0, got.Labels, l1)
	}
	if got.Version == is.Version {
		t.Errorf("EditLabels did not change Version (%s)", got.Version)
	}
	if read := must(tr.GetIssue(ctx, is.Number))(t); !sameLabels(read.Labels, []string{l1}) {
		t.Errorf("GetIssue after EditLabels: labels = %q", read.Labels)
	}

	// Removing labels the issue does not carry (one not even defined) is harmless.
	got = must(tr.EditLabels(ctx, is.Number, nil, []string{l2, UnknownLabel}))(t)
	if !sameLabels(got.Labels, []string{l1}) {
		t.Errorf("removing absent labels changed labels to %q", got.Labels)
	}

	// An unknown label among the additions fails the whole call, naming it.
	before := must(tr.GetIssue(ctx, is.Number))(t)
	_, err := tr.EditLabels(ctx, is.Number, []string{l2, UnknownLabel}, []string{l1})
	if err == nil || !strings.Contains(err.Error(), UnknownLabel) {
		t.Fatalf("EditLabels with unknown label: err = %v, want an error naming %q", err, UnknownLabel)
	}
	after := must(tr.GetIssue(ctx, is.Number))(t)
	if !sameLabels(after.Labels, before.Labels) || after.Version != before.Version {
		t.Errorf("failed EditLabels changed the issue: labels %q -> %q, version %s -> %s",
			before.Labels, after.Labels, before.Version, after.Version)
	}

	// Several adds and removes in one call.
	got = must(tr.EditLabels(ctx, is.Number, []string{l0, l2}, []string{l1}))(t)
	if !sameLabels(got.Labels, []string{l0, l2}) {
		t.Errorf("labels = %q, want [%q %q]", got.Labels, l0, l2)
	}
}

func trackerSetBody(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	is := create(t, tr, "Body", "old body")
	body := "### Field\n\nnew body with ünïcode\n"
	got := must(tr.SetBody(ctx, is.Number, body))(t)
	if got.Body != body || got.Title != "Body" {
		t.Errorf("SetBody returned %+v", got)
	}
	if read := must(tr.GetIssue(ctx, is.Number))(t); read.Body != body {
		t.Errorf("GetIssue after SetBody: body = %q, want %q", read.Body, body)
	}
}

func trackerComments(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	is := create(t, tr, "Comments", "b")
	other := create(t, tr, "Other", "b")
	if cs := must(tr.ListComments(ctx, is.Number))(t); len(cs) != 0 {
		t.Fatalf("new issue has comments: %+v", cs)
	}
	var made []lifecycle.Comment
	for _, body := range []string{"first", "second", "third"} {
		c := must(tr.CreateComment(ctx, is.Number, body))(t)
		if c.ID == 0 || c.Body != body || c.Author == "" || c.CreatedAt.IsZero() {
			t.Errorf("CreateComment(%q) = %+v", body, c)
		}
		if want := "#issuecomment-" + strconv.FormatInt(c.ID, 10); !strings.HasSuffix(c.URL, want) ||
			!strings.HasPrefix(c.URL, is.URL) {
			t.Errorf("comment URL = %q, want %s%s", c.URL, is.URL, want)
		}
		made = append(made, c)
	}
	must(tr.CreateComment(ctx, other.Number, "elsewhere"))(t)
	ids := func(cs []lifecycle.Comment) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got := must(tr.ListComments(ctx, is.Number))(t); !slices.Equal(ids(got), ids(made)) {
		t.Errorf("ListComments ids = %v, want %v (creation order)", ids(got), ids(made))
	}

	up := must(tr.UpdateComment(ctx, is.Number, made[1].ID, "second, edited"))(t)
	if up.ID != made[1].ID || up.Body != "second, edited" || up.UpdatedAt.Before(up.CreatedAt) {
		t.Errorf("UpdateComment = %+v", up)
	}
	list := must(tr.ListComments(ctx, is.Number))(t)
	if len(list) != 3 || list[1].Body != "second, edited" || list[0].Body != "first" {
		t.Errorf("after update: %+v", list)
	}

	if err := tr.DeleteComment(ctx, is.Number, made[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := must(tr.ListComments(ctx, is.Number))(t); !slices.Equal(ids(got), ids(made[1:])) {
		t.Errorf("after delete: ids = %v, want %v", ids(got), ids(made[1:]))
	}
	if err := tr.DeleteComment(ctx, is.Number, made[0].ID); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("deleting a deleted comment: err = %v, want ErrNotFound", err)
	}
	if _, err := tr.UpdateComment(ctx, is.Number, made[0].ID, "x"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("updating a deleted comment: err = %v, want ErrNotFound", err)
	}
	if got := must(tr.ListComments(ctx, other.Number))(t); len(got) != 1 || got[0].Body != "elsewhere" {
		t.Errorf("other issue's comments = %+v", got)
	}
}

func trackerCloseReopen(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	tests := []struct {
		reason, want string
	}{
		{"not_planned", "not_planned"},
		{"completed", "completed"},
		{"", "completed"},
	}
	for _, tc := range tests {
		is := create(t, tr, "Close "+tc.reason, "b")
		got := must(tr.CloseIssue(ctx, is.Number, tc.reason))(t)
		if got.State != "closed" || got.StateReason != tc.want || got.ClosedAt.IsZero() {
			t.Errorf("CloseIssue(%q) = state %q reason %q closed %v; want closed, %q", tc.reason, got.State, got.StateReason, got.ClosedAt, tc.want)
		}
		read := must(tr.GetIssue(ctx, is.Number))(t)
		if read.State != "closed" || read.StateReason != tc.want {
			t.Errorf("GetIssue after close: state %q reason %q", read.State, read.StateReason)
		}
		re := must(tr.ReopenIssue(ctx, is.Number))(t)
		if re.State != "open" || re.StateReason != "reopened" || !re.ClosedAt.IsZero() {
			t.Errorf("ReopenIssue = state %q reason %q closed %v; want open, reopened, zero", re.State, re.StateReason, re.ClosedAt)
		}
	}
}

func trackerFindByIntakeKey(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	meta := func(key string) string {
		return lifecycle.IntakeMeta{Key: key, Source: "mail", Reporter: "r@example.org"}.Comment()
	}
	keyA := lifecycle.MailIntakeKey("<report-a@mail.example.org>")
	keyB := lifecycle.MailIntakeKey("<report-b@mail.example.org>")
	a := create(t, tr, "Imported A", meta(keyA)+"\n### Summary\n\nA\n")
	// A merged tracker carries several blocks.
	b := create(t, tr, "Imported B", meta(keyB)+"\n"+meta(lifecycle.MailIntakeKey("<report-c@mail.example.org>")))
	create(t, tr, "Mentions the key in text only", "key="+keyA+" is mentioned, not as a block")
	// A block inside a field value is reporter text: it claims nothing.
	create(t, tr, "Reporter text forging a block", "### Summary\n\nCredit: Eve "+meta(keyA)+"\n")

	numbers := func(key string) []int {
		var out []int
		for _, is := range must(tr.FindByIntakeKey(ctx, key))(t) {
			out = append(out, is.Number)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		key  string
		want []int
	}{
		{"just created", keyA, []int{a.Number}},
		{"merged tracker, first block", keyB, []int{b.Number}},
		{"merged tracker, second block", lifecycle.MailIntakeKey("<report-c@mail.example.org>"), []int{b.Number}},
		{"prefix is not a match", keyA[:len(keyA)-1], nil},
		{"unknown", "mail:nobody@example.org", nil},
	}
	for _, tc := range tests {
		if got := numbers(tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("%s: FindByIntakeKey(%q) = %v, want %v", tc.name, tc.key, got, tc.want)
		}
	}

	must(tr.CloseIssue(ctx, a.Number, "not_planned"))(t)
	if got := numbers(keyA); !slices.Equal(got, []int{a.Number}) {
		t.Errorf("closed issue: FindByIntakeKey = %v, want [%d]", got, a.Number)
	}
	must(tr.SetBody(ctx, a.Number, "block removed"))(t)
	if got := numbers(keyA); len(got) != 0 {
		t.Errorf("after the block was removed: FindByIntakeKey = %v, want none", got)
	}
	must(tr.SetBody(ctx, a.Number, "back again\n"+meta(keyA)))(t)
	if got := numbers(keyA); !slices.Equal(got, []int{a.Number}) {
		t.Errorf("after the block was restored: FindByIntakeKey = %v, want [%d]", got, a.Number)
	}
}

func trackerVersion(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	is := create(t, tr, "Versioned", "b", fx.Labels[0])
	seen := map[string]string{is.Version: "create"}
	last := is
	check := func(step string) {
		t.Helper()
		got := must(tr.GetIssue(ctx, is.Number))(t)
		v := must(tr.Version(ctx, is.Number))(t)
		if v != got.Version {
			t.Errorf("%s: Version() = %q, GetIssue().Version = %q", step, v, got.Version)
		}
		if prev, dup := seen[got.Version]; dup {
			t.Errorf("%s: Version %q did not change (already seen after %s)", step, got.Version, prev)
		}
		if got.UpdatedAt.Before(last.UpdatedAt) {
			t.Errorf("%s: UpdatedAt went back from %v to %v", step, last.UpdatedAt, got.UpdatedAt)
		}
		seen[got.Version] = step
		last = got
	}
	reads := func(step string) {
		t.Helper()
		must(tr.GetIssue(ctx, is.Number))(t)
		must(tr.ListIssues(ctx, lifecycle.IssueFilter{State: "all"}))(t)
		must(tr.ListComments(ctx, is.Number))(t)
		must(tr.FindByIntakeKey(ctx, "mail:none@example.org"))(t)
		if v := must(tr.Version(ctx, is.Number))(t); v != last.Version {
			t.Errorf("reads after %s changed Version %q -> %q", step, last.Version, v)
		}
	}
	var comment lifecycle.Comment
	writes := []struct {
		name  string
		write func() error
	}{
		{"SetBody", func() error { _, err := tr.SetBody(ctx, is.Number, "b2"); return err }},
		{"EditLabels", func() error {
			_, err := tr.EditLabels(ctx, is.Number, []string{fx.Labels[1]}, []string{fx.Labels[0]})
			return err
		}},
		{"CreateComment", func() (err error) { comment, err = tr.CreateComment(ctx, is.Number, "c1"); return err }},
		{"UpdateComment", func() error { _, err := tr.UpdateComment(ctx, is.Number, comment.ID, "c1 edited"); return err }},
		{"DeleteComment", func() error { return tr.DeleteComment(ctx, is.Number, comment.ID) }},
		{"SetAssignees", func() error { _, err := tr.SetAssignees(ctx, is.Number, fx.Collaborators[:1]); return err }},
		{"SetMilestone", func() error { _, err := tr.SetMilestone(ctx, is.Number, fx.Milestones[0]); return err }},
		{"CloseIssue", func() error { _, err := tr.CloseIssue(ctx, is.Number, "not_planned"); return err }},
		{"ReopenIssue", func() error { _, err := tr.ReopenIssue(ctx, is.Number); return err }},
	}
	reads("create")
	for _, w := range writes {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		check(w.name)
		reads(w.name)
	}
}

func trackerAssigneesMilestones(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	is := create(t, tr, "Assign", "b")
	got := must(tr.SetAssignees(ctx, is.Number, fx.Collaborators[:1]))(t)
	if !sameLabels(got.Assignees, fx.Collaborators[:1]) {
		t.Errorf("assignees = %q, want %q", got.Assignees, fx.Collaborators[:1])
	}
	if read := must(tr.GetIssue(ctx, is.Number))(t); !sameLabels(read.Assignees, fx.Collaborators[:1]) {
		t.Errorf("GetIssue assignees = %q", read.Assignees)
	}
	if got = must(tr.SetAssignees(ctx, is.Number, nil))(t); len(got.Assignees) != 0 {
		t.Errorf("after clearing: assignees = %q", got.Assignees)
	}
	got = must(tr.SetMilestone(ctx, is.Number, fx.Milestones[0]))(t)
	if got.Milestone != fx.Milestones[0] {
		t.Errorf("milestone = %q, want %q", got.Milestone, fx.Milestones[0])
	}
	if got = must(tr.SetMilestone(ctx, is.Number, ""))(t); got.Milestone != "" {
		t.Errorf("after clearing: milestone = %q", got.Milestone)
	}
}

func trackerRepoSets(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	labels := must(tr.ListLabels(ctx))(t)
	for _, l := range fx.Labels {
		if !slices.ContainsFunc(labels, func(s string) bool { return strings.EqualFold(s, l) }) {
			t.Errorf("ListLabels = %q, missing %q", labels, l)
		}
	}
	if slices.ContainsFunc(labels, func(s string) bool { return strings.EqualFold(s, UnknownLabel) }) {
		t.Errorf("ListLabels contains %q", UnknownLabel)
	}
	team := must(tr.Collaborators(ctx))(t)
	for _, c := range fx.Collaborators {
		if !slices.ContainsFunc(team, func(s string) bool { return strings.EqualFold(s, c) }) {
			t.Errorf("Collaborators = %q, missing %q", team, c)
		}
	}
	ms := must(tr.ListMilestones(ctx))(t)
	for _, m := range fx.Milestones {
		if !slices.Contains(ms, m) {
			t.Errorf("ListMilestones = %q, missing %q", ms, m)
		}
	}
}

func trackerBoard(t *testing.T, tr lifecycle.Tracker, fx Fixture) {
	ctx := t.Context()
	is := create(t, tr, "Board", "b")
	if len(fx.BoardColumns) == 0 {
		calls := map[string]error{
			"BoardItem":        func() error { _, err := tr.BoardItem(ctx, is.Number); return err }(),
			"MoveToColumn":     tr.MoveToColumn(ctx, is.Number, "Needs triage"),
			"ArchiveBoardItem": tr.ArchiveBoardItem(ctx, is.Number),
		}
		for name, err := range calls {
			if !errors.Is(err, lifecycle.ErrUnsupported) {
				t.Errorf("no board: %s err = %v, want ErrUnsupported", name, err)
			}
		}
		return
	}
	col0, col1 := fx.BoardColumns[0], fx.BoardColumns[1]
	item := func() lifecycle.BoardItem { t.Helper(); return must(tr.BoardItem(ctx, is.Number))(t) }

	// Orphan path: moving adds the item when absent; moving again is harmless.
	for _, col := range []string{col0, col0, col1} {
		if err := tr.MoveToColumn(ctx, is.Number, col); err != nil {
			t.Fatalf("MoveToColumn(%q): %v", col, err)
		}
		if got := item(); !got.OnBoard || got.Column != col || got.Archived {
			t.Errorf("after MoveToColumn(%q): %+v", col, got)
		}
	}
	for i := 0; i < 2; i++ { // archiving is idempotent
		if err := tr.ArchiveBoardItem(ctx, is.Number); err != nil {
			t.Fatalf("ArchiveBoardItem #%d: %v", i+1, err)
		}
		if got := item(); !got.OnBoard || !got.Archived || got.Column != col1 {
			t.Errorf("after ArchiveBoardItem: %+v", got)
		}
	}

	off := create(t, tr, "Never on the board", "b")
	if got := must(tr.BoardItem(ctx, off.Number))(t); got.OnBoard || got.Archived {
		t.Errorf("issue never added: %+v", got)
	}
	// Nothing to archive is not an error, and does not put the issue on the board.
	if err := tr.ArchiveBoardItem(ctx, off.Number); err != nil {
		t.Errorf("archiving an item not on the board: %v, want nil", err)
	}
	if got := must(tr.BoardItem(ctx, off.Number))(t); got.OnBoard {
		t.Errorf("archiving put the issue on the board: %+v", got)
	}
	if err := tr.ArchiveBoardItem(ctx, 987654); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("archiving a missing issue: err = %v, want ErrNotFound", err)
	}
	if err := tr.MoveToColumn(ctx, is.Number, "contract-no-such-column"); err == nil {
		t.Errorf("MoveToColumn to an unknown column succeeded")
	}
	if _, err := tr.BoardItem(ctx, 987654); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("BoardItem of a missing issue: err = %v, want ErrNotFound", err)
	}
}
