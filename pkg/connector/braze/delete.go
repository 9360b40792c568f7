package braze

import (
	"context"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Delete removes the profile whose external_id is r.Key. Braze answers
// success (with "deleted": 0) for ids it does not know, so a repeated
// delete succeeds. Deletion cannot be undone.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	return c.DeleteBatch(ctx, []connector.Record{r})[0]
}

// DeleteBatch deletes rs in calls of at most MaxDeleteBatch external ids
// and returns one error per record. It is not part of connector.Batcher; a
// caller that groups deletes may use it.
func (c *Client) DeleteBatch(ctx context.Context, rs []connector.Record) []error {
	errs := make([]error, len(rs))
	for start := 0; start < len(rs); start += MaxDeleteBatch {
		end := min(start+MaxDeleteBatch, len(rs))
		var ids []string
		var at []int
		for i := start; i < end; i++ {
			if rs[i].Key == "" {
				errs[i] = fault.New(fault.Permanent, 0, "", "record has no key (the external_id)")
				continue
			}
			ids = append(ids, rs[i].Key)
			at = append(at, i)
		}
		if len(ids) == 0 {
			continue
		}
		err := c.deleteIDs(ctx, ids)
		for _, i := range at {
			if err != nil {
				errs[i] = fmt.Errorf("delete user: %w", err)
			}
		}
	}
	return errs
}

func (c *Client) deleteIDs(ctx context.Context, ids []string) error {
	status, h, body, err := c.post(ctx, "/users/delete", map[string]any{"external_ids": ids})
	if err != nil {
		return err
	}
	if status/100 == 2 {
		return nil
	}
	return classify(status, h, parseResponse(body), redact.SentValues(nil, ids...), c.now())
}
