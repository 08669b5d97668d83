package lifecycle

// RollupEntry is one entry of the status rollup comment (spec/release.md §3).
// ID, when set, is written as a hidden marker inside the entry body so that the
// same entry is never appended twice.
type RollupEntry struct {
	Date   string `json:"date"`   // YYYY-MM-DD
	Handle string `json:"handle"` // without "@"
	Action string `json:"action"` // e.g. "Import (Report, Jane Doe)"
	Body   string `json:"body"`   // starts with a bold headline line
	ID     string `json:"id,omitempty"`
}
