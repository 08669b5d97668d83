package reply

import (
	"testing"

	"github.com/vulnsteward/vulnsteward/projects"
)

func TestForwarderOf(t *testing.T) {
	cfg := &projects.Config{Forwarders: []projects.Forwarder{{Name: "foundation-security", Contacts: []string{"not an address", "Ingrid Bauer <ingrid@f.example>"}}}}
	rollup := "- Relayed via forwarder `foundation-security` (preamble \"x\"); via-forwarder mode: reporter-facing drafts go to Old Contact <old@f.example>.\n"
	if f := ForwarderOf("", []string{rollup}, cfg); f.Adapter != "foundation-security" || f.Contact.Email != "ingrid@f.example" {
		t.Errorf("configured contact: %+v", f)
	}
	if f := ForwarderOf("", []string{rollup}, &projects.Config{}); f.Contact.Email != "old@f.example" || f.Contact.Name != "Old Contact" {
		t.Errorf("recorded contact: %+v", f)
	}
	body := bodyWithThread("No public archive URL — tracked privately on local mailbox thread `x` — relayed by forwarder foundation-security.", "")
	if f := ForwarderOf(body, nil, cfg); f.Adapter != "foundation-security" || f.Contact.Email != "ingrid@f.example" {
		t.Errorf("from the thread field: %+v", f)
	}
	if f := ForwarderOf(bodyWithThread("x", ""), nil, cfg); f.Adapter != "" || f.Contact.Email != "" || f.Note == "" {
		t.Errorf("no forwarder: %+v", f)
	}
}
