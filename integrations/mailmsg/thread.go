package mailmsg

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// GroupThreads groups messages into conversations for backends without thread
// ids (Maildir, mbox). A message's parent is its In-Reply-To message when that
// is present, else the nearest ancestor listed in References that is present;
// a message with no present parent starts a thread. The thread ID is the
// normalised Message-ID of that root. Replies whose ancestors are all missing
// therefore start their own threads (they are not merged by the missing id).
// A reference cycle (malformed mail) has no root; such a group takes its
// earliest message as root. Messages with the same Message-ID land in the same
// thread; a message without a Message-ID (Parse always sets one) is a thread
// of its own whose ID is its backend ID. Within a thread messages are ordered by Date then Message-ID;
// threads are ordered by the date of their first message, then ID.
func GroupThreads(msgs []lifecycle.Message) []lifecycle.Thread {
	// Node per distinct Message-ID; messages without one get a private node.
	key := make([]string, len(msgs))
	present := make(map[string]bool, len(msgs))
	for i, m := range msgs {
		id := lifecycle.NormalizeMessageID(m.MessageID)
		if id == "" {
			id = "\x00" + strconv.Itoa(i) // cannot collide with a real id
		}
		key[i] = id
		present[id] = true
	}
	parent := make(map[string]string, len(msgs))
	for i, m := range msgs {
		if _, ok := parent[key[i]]; ok {
			continue // a duplicate already chose the parent
		}
		parent[key[i]] = findParent(m, key[i], present)
	}

	// Union-find over parent links; the representative is irrelevant, the
	// root is chosen afterwards.
	uf := make(map[string]string, len(parent))
	var find func(string) string
	find = func(x string) string {
		for uf[x] != "" && uf[x] != x {
			uf[x] = uf[uf[x]] // path halving
			x = uf[x]
		}
		return x
	}
	for id := range present {
		uf[id] = id
	}
	for id, p := range parent {
		if p != "" {
			a, b := find(id), find(p)
			if a != b {
				uf[a] = b
			}
		}
	}

	groups := map[string][]lifecycle.Message{}
	roots := map[string]string{}
	for i, m := range msgs {
		g := find(key[i])
		groups[g] = append(groups[g], m)
		if parent[key[i]] == "" {
			roots[g] = key[i]
		}
	}
	threads := make([]lifecycle.Thread, 0, len(groups))
	for g, ms := range groups {
		slices.SortStableFunc(ms, compareMessages)
		id, ok := roots[g]
		if !ok { // cycle: no message without a parent
			id = lifecycle.NormalizeMessageID(ms[0].MessageID)
		}
		if id != "" && id[0] == 0 {
			id = ms[0].ID // no Message-ID (Parse always sets one): a thread of its own
		}
		threads = append(threads, lifecycle.Thread{ID: id, Messages: ms})
	}
	slices.SortFunc(threads, func(a, b lifecycle.Thread) int {
		if c := compareMessages(a.Messages[0], b.Messages[0]); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return threads
}

func findParent(m lifecycle.Message, self string, present map[string]bool) string {
	if p := lifecycle.NormalizeMessageID(m.InReplyTo); p != "" && p != self && present[p] {
		return p
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		if p := lifecycle.NormalizeMessageID(m.References[i]); p != "" && p != self && present[p] {
			return p
		}
	}
	return ""
}

func compareMessages(a, b lifecycle.Message) int {
	if c := a.Date.Compare(b.Date); c != 0 {
		return c
	}
	return cmp.Compare(lifecycle.NormalizeMessageID(a.MessageID), lifecycle.NormalizeMessageID(b.MessageID))
}
