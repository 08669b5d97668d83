package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// CVE record states, in lifecycle order.
const (
	StateDraft  = "DRAFT"
	StateReview = "REVIEW"
	StateReady  = "READY"
	StatePublic = "PUBLIC"
)

// cnaTransitions are the moves UpdateRecord accepts: forward one step, or back to
// an earlier unpublished state. PUBLIC is reached only through Publish, from READY,
// and a public record stays public (its JSON can still be updated).
var cnaTransitions = map[string][]string{
	StateDraft:  {StateDraft, StateReview},
	StateReview: {StateReview, StateReady, StateDraft},
	StateReady:  {StateReady, StateReview, StateDraft},
	StatePublic: {StatePublic},
}

var cveIDRE = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// cna implements lifecycle.CNA: a local stand-in for the CNA tool.
type cna struct{ w *Workspace }

var _ lifecycle.CNA = (*cna)(nil)

func cnaErr(op, id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("local cna: %s %s: %w", op, id, err)
}

func getRecord(ctx context.Context, q querier, id string) (lifecycle.CVERecord, error) {
	rec := lifecycle.CVERecord{ID: id}
	err := q.QueryRowContext(ctx, "SELECT state, json FROM cve_records WHERE id = ?", id).Scan(&rec.State, &rec.JSON)
	if isNoRows(err) {
		return rec, notFound("no CVE record %s", id)
	}
	if err != nil {
		return rec, fmt.Errorf("read record: %w", err)
	}
	return rec, nil
}

func (c *cna) GetRecord(ctx context.Context, id string) (lifecycle.CVERecord, error) {
	if err := c.w.read("GetRecord"); err != nil {
		return lifecycle.CVERecord{}, cnaErr("get record", id, err)
	}
	rec, err := getRecord(ctx, c.w.db, strings.ToUpper(id))
	return rec, cnaErr("get record", id, err)
}

// UpdateRecord creates the record (in DRAFT) or updates it. An empty State keeps
// the current state; a nil JSON keeps the current JSON.
func (c *cna) UpdateRecord(ctx context.Context, rec lifecycle.CVERecord) (lifecycle.CVERecord, error) {
	var out lifecycle.CVERecord
	id := strings.ToUpper(rec.ID)
	err := c.w.write(ctx, "UpdateRecord", func(tx *sql.Tx) error {
		if !cveIDRE.MatchString(id) {
			return fmt.Errorf("%q is not a CVE id", rec.ID)
		}
		if rec.JSON != nil && !json.Valid(rec.JSON) {
			return fmt.Errorf("record JSON is not valid JSON")
		}
		cur, err := getRecord(ctx, tx, id)
		switch {
		case isNotFound(err):
			cur = lifecycle.CVERecord{ID: id, State: StateDraft}
			if rec.State != "" && rec.State != StateDraft {
				return fmt.Errorf("a new record starts in %s, not %s", StateDraft, rec.State)
			}
		case err != nil:
			return err
		}
		next := cur.State
		if rec.State != "" {
			next = strings.ToUpper(rec.State)
		}
		if next == StatePublic && cur.State != StatePublic {
			return fmt.Errorf("%s -> %s: publish the record instead", cur.State, next)
		}
		if !slices.Contains(cnaTransitions[cur.State], next) {
			return fmt.Errorf("invalid state transition %s -> %s", cur.State, next)
		}
		body := cur.JSON
		if rec.JSON != nil {
			body = rec.JSON
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cve_records(id, state, json, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET state = excluded.state, json = excluded.json, updated_at = excluded.updated_at`,
			id, next, body, formatTime(c.w.now()))
		if err != nil {
			return fmt.Errorf("write record: %w", err)
		}
		out, err = getRecord(ctx, tx, id)
		return err
	})
	if err != nil {
		return lifecycle.CVERecord{}, cnaErr("update record", rec.ID, err)
	}
	return out, nil
}

// Publish moves a READY record to PUBLIC; publishing a public record is a no-op.
func (c *cna) Publish(ctx context.Context, id string) (lifecycle.CVERecord, error) {
	var out lifecycle.CVERecord
	err := c.w.write(ctx, "Publish", func(tx *sql.Tx) error {
		cur, err := getRecord(ctx, tx, strings.ToUpper(id))
		if err != nil {
			return err
		}
		switch cur.State {
		case StatePublic:
			out = cur
			return nil
		case StateReady:
		default:
			return fmt.Errorf("invalid state transition %s -> %s (only %s records are published)", cur.State, StatePublic, StateReady)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE cve_records SET state = ?, updated_at = ? WHERE id = ?",
			StatePublic, formatTime(c.w.now()), cur.ID); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		out, err = getRecord(ctx, tx, cur.ID)
		return err
	})
	if err != nil {
		return lifecycle.CVERecord{}, cnaErr("publish", id, err)
	}
	return out, nil
}

// archive implements lifecycle.Archive over the URLs recorded with AddArchiveURL.
type archive struct{ w *Workspace }

var _ lifecycle.Archive = (*archive)(nil)

func (a *archive) FindThreadURL(ctx context.Context, list, messageID string) (string, error) {
	if err := a.w.read("FindThreadURL"); err != nil {
		return "", fmt.Errorf("local archive: find %s in %s: %w", messageID, list, err)
	}
	var url string
	err := a.w.db.QueryRowContext(ctx, "SELECT url FROM archive_urls WHERE list = ? AND message_id = ?",
		strings.ToLower(list), lifecycle.NormalizeMessageID(messageID)).Scan(&url)
	if isNoRows(err) {
		err = notFound("message %s is not in the %s archive", messageID, list)
	}
	if err != nil {
		return "", fmt.Errorf("local archive: find %s in %s: %w", messageID, list, err)
	}
	return url, nil
}

// AddArchiveURL records the public archive URL of a message sent to list, as if
// the archive had published it.
func (w *Workspace) AddArchiveURL(ctx context.Context, list, messageID, url string) error {
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		if list == "" || messageID == "" || url == "" {
			return fmt.Errorf("list, message id and url are required")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO archive_urls(list, message_id, url) VALUES (?, ?, ?)
			ON CONFLICT(list, message_id) DO UPDATE SET url = excluded.url`,
			strings.ToLower(list), lifecycle.NormalizeMessageID(messageID), url)
		return err
	})
	return wrapErr("add archive url", err)
}
