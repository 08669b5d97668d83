package projects

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const cannedDoc = "# Title\n\nPreamble with FAKE_PLACEHOLDER is not a response.\n\n" +
	"## Group\n\n" +
	"### First response\n\n<!-- applies: when it fits,\n  across lines -->\n\nHello REPORTER_NAME,\n\n#### A sub-heading stays\n\nSee CVE_ID and CVE_ID again, then PR_URL.\n\n" +
	"```\n### not a heading (fenced)\n## nor this\n```\n\n" +
	"## Another group\n\nGroup text is not part of any response.\n\n" +
	"### Second — one: two\n\nNo placeholders; HTTP and A_ are not placeholders, nor _X_Y.\n"

func TestParseCanned(t *testing.T) {
	list := parseCanned(cannedDoc)
	if len(list) != 2 {
		t.Fatalf("got %d responses, want 2: %+v", len(list), list)
	}
	first := list[0]
	if first.Name != "First response" || first.Slug != "first-response" || first.Line != 7 {
		t.Errorf("first = %q %q line %d", first.Name, first.Slug, first.Line)
	}
	if first.Applies != "applies: when it fits, across lines" {
		t.Errorf("Applies = %q", first.Applies)
	}
	wantBody := "Hello REPORTER_NAME,\n\n#### A sub-heading stays\n\nSee CVE_ID and CVE_ID again, then PR_URL.\n\n```\n### not a heading (fenced)\n## nor this\n```"
	if first.Body != wantBody {
		t.Errorf("Body =\n%q\nwant\n%q", first.Body, wantBody)
	}
	if want := []string{"REPORTER_NAME", "CVE_ID", "PR_URL"}; !reflect.DeepEqual(first.Placeholders, want) {
		t.Errorf("Placeholders = %v, want %v", first.Placeholders, want)
	}
	second := list[1]
	if second.Slug != "second-one-two" || len(second.Placeholders) != 0 {
		t.Errorf("second = %q %v", second.Slug, second.Placeholders)
	}
	if strings.Contains(second.Body, "Group text") || strings.Contains(first.Body, "Group text") {
		t.Error("a ## heading must end the response before it")
	}
}

func TestLoadCannedProblems(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "canned.md")
	doc := "### Same Name\n\nBody.\n\n### same name!\n\nOther body.\n\n### Empty\n\n### --\n\nBody.\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCanned(path)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got %v, want *ValidationError", err)
	}
	for _, want := range []string{
		path + `:5: canned response "same name!" has the same name or slug as the heading on line 1`,
		path + `:9: canned response "Empty" has no text`,
		path + `:11: canned response heading "--" has no letters or digits`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := LoadCanned(filepath.Join(dir, "missing.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
}

func TestFindCanned(t *testing.T) {
	list := parseCanned(cannedDoc)
	cases := []struct {
		in, want string
	}{
		{"First response", "First response"},
		{"first-response", "First response"},
		{"FIRST RESPONSE", "First response"},
		{"Second — one: two", "Second — one: two"},
		{"second-one-two", "Second — one: two"},
	}
	for _, tc := range cases {
		got, err := FindCanned(list, tc.in)
		if err != nil || got.Name != tc.want {
			t.Errorf("FindCanned(%q) = %q, %v; want %q", tc.in, got.Name, err, tc.want)
		}
	}
	_, err := FindCanned(list, "Third")
	if err == nil || !strings.Contains(err.Error(), `valid names: "First response" (first-response), "Second — one: two" (second-one-two)`) {
		t.Errorf("unknown name: got %v", err)
	}
}

func TestRender(t *testing.T) {
	c := parseCanned(cannedDoc)[0]
	full := map[string]string{"REPORTER_NAME": "Jane Doe", "CVE_ID": "CVE-2026-41001", "PR_URL": "https://example.org/pr/1"}
	cases := []struct {
		name    string
		values  map[string]string
		want    string // substring of the output
		wantErr string
	}{
		{name: "all values", values: full, want: "Hello Jane Doe,\n\n#### A sub-heading stays\n\nSee CVE-2026-41001 and CVE-2026-41001 again, then https://example.org/pr/1."},
		{name: "value with placeholder-like text is not rescanned", values: map[string]string{"REPORTER_NAME": "CVE_ID", "CVE_ID": "X", "PR_URL": "u"}, want: "Hello CVE_ID,"},
		{name: "missing value", values: map[string]string{"REPORTER_NAME": "J", "CVE_ID": "X"}, wantErr: "no value for PR_URL"},
		{name: "empty value", values: map[string]string{"REPORTER_NAME": " ", "CVE_ID": "X", "PR_URL": "u"}, wantErr: "no value for REPORTER_NAME"},
		{name: "unknown value", values: map[string]string{"REPORTER_NAME": "J", "CVE_ID": "X", "PR_URL": "u", "VERSION": "2.4.2"}, wantErr: "no placeholder named VERSION"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Render(tc.values)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("output:\n%s\nlacks %q", got, tc.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	cases := map[string]string{
		"Confirmation of receiving the report":                                "confirmation-of-receiving-the-report",
		"Negative assessment — out of scope per the Security Model":           "negative-assessment-out-of-scope-per-the-security-model",
		"Media / research-disclosure request":                                 "media-research-disclosure-request",
		"When someone claims Dag author-provided \"user input\" is dangerous": "when-someone-claims-dag-author-provided-user-input-is-dangerous",
		"DoS/RCE/Arbitrary read via Provider's Connection configuration":      "dos-rce-arbitrary-read-via-provider-s-connection-configuration",
		"  --Already--slugged--  ":                                            "already-slugged",
		"Publicly-disclosed issue (reported after public disclosure)":         "publicly-disclosed-issue-reported-after-public-disclosure",
		"Über größe 2": "über-größe-2",
		"":             "",
		"!!!":          "",
	}
	for in, want := range cases {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
		if got := Slug(Slug(in)); got != Slug(in) {
			t.Errorf("Slug is not idempotent on %q", in)
		}
	}
}

// TestShippedCannedResponses checks what the tools rely on in both shipped
// projects: every configured name resolves, the receipt asks for the credit
// form and mentions the window, and rendering with its placeholders works.
func TestShippedCannedResponses(t *testing.T) {
	for _, dir := range []string{"_template", "example"} {
		t.Run(dir, func(t *testing.T) {
			c, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			list, err := c.CannedResponses()
			if err != nil {
				t.Fatal(err)
			}
			v := reflect.ValueOf(c.Canned)
			for i := range v.NumField() {
				if tomlName(v.Type().Field(i)) == "file" || v.Field(i).String() == "" {
					continue
				}
				if _, err := FindCanned(list, v.Field(i).String()); err != nil {
					t.Errorf("canned.%s: %v", tomlName(v.Type().Field(i)), err)
				}
			}
			receipt, err := FindCanned(list, c.Canned.Receipt)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"credited", "remain anonymous", "WINDOW_DAYS", "REPORTER_NAME"} {
				if !strings.Contains(receipt.Body, want) {
					t.Errorf("receipt lacks %q", want)
				}
			}
			out, err := receipt.Render(map[string]string{"REPORTER_NAME": "Jane Doe", "WINDOW_DAYS": "90"})
			if err != nil {
				t.Fatal(err)
			}
			if len(Placeholders(out)) != 0 {
				t.Errorf("rendered receipt still has placeholders: %v", Placeholders(out))
			}
			for _, cn := range list {
				if cn.Applies == "" {
					t.Errorf("%q has no applies note", cn.Name)
				}
				for _, p := range cn.Placeholders {
					switch p {
					case "REPORTER_NAME", "WINDOW_DAYS", "SECURITY_MODEL_URL", "CVE_ID", "PR_URL", "PR_AUTHOR", "PR_DATE",
						"VERSION", "RELEASE_URL", "ADVISORY_URL", "CVE_ORG_URL", "CREDIT_TEXT":
					default:
						t.Errorf("%q uses an undocumented placeholder %s", cn.Name, p)
					}
				}
			}
		})
	}
}
