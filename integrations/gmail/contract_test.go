package gmail_test

import (
	"net/http"
	"testing"

	"github.com/vulnsteward/vulnsteward/integrations/contract"
	"github.com/vulnsteward/vulnsteward/integrations/gmail"
	"github.com/vulnsteward/vulnsteward/integrations/gmail/fakegmail"
	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// TestContract runs the shared Mail contract against the adapter and the fake.
// The seed is delivered as Gmail would hold it: each message carries the
// List-Id header the candidate query selects on, and conversations (grouped by
// their References chains) share a Gmail thread.
func TestContract(t *testing.T) {
	contract.TestMail(t, func(t *testing.T, seed [][]byte) lifecycle.Mail {
		f := fakegmail.New()
		t.Cleanup(f.Close)
		raws := map[string][]byte{}
		var msgs []lifecycle.Message
		for _, raw := range seed {
			raw = append([]byte("List-Id: <security.project.example.org>\r\n"), raw...)
			m, err := mailmsg.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			raws[m.MessageID] = raw
			msgs = append(msgs, m)
		}
		for _, th := range mailmsg.GroupThreads(msgs) {
			threadID := ""
			for _, m := range th.Messages {
				id := f.AddMessage(raws[m.MessageID], threadID)
				if threadID == "" {
					threadID = id
				}
			}
		}
		mb, err := gmail.New(t.Context(), gmail.Config{
			SecurityListDomain: "security.project.example.org",
			SecurityList:       "security@project.example.org",
			Endpoint:           f.URL(),
		}, http.DefaultClient)
		if err != nil {
			t.Fatal(err)
		}
		return mb
	})
}
