package awsadapter

import (
	"context"
	"encoding/json"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/profilesync/profilesync/pkg/claims"
)

// ClaimDecidedType is the detail-type of a claim verifier's decision on
// the bus.
const ClaimDecidedType = claims.DecidedType

var _ claims.Publisher = (*Notices)(nil)

// ClaimDecided is the detail of a ClaimDecided event (claims.Decided).
type ClaimDecided = claims.Decided

// ClaimDecidedOf is d's event detail.
func ClaimDecidedOf(d claims.Decision) ClaimDecided { return claims.DecidedOf(d) }

// PublishDecision implements claims.Publisher: one ClaimDecided event,
// source "profilesync", at the decision's time. A refused entry is sent
// once more, as Notify does.
func (n *Notices) PublishDecision(ctx context.Context, d claims.Decision) error {
	detail, err := json.Marshal(ClaimDecidedOf(d))
	if err != nil {
		return fmt.Errorf("eventbridge: ClaimDecided %s: %w", d.ID, err)
	}
	e := types.PutEventsRequestEntry{
		EventBusName: awssdk.String(n.bus),
		Source:       awssdk.String(NoticeSource),
		DetailType:   awssdk.String(ClaimDecidedType),
		Detail:       awssdk.String(string(detail)),
	}
	if !d.DecidedAt.IsZero() {
		at := d.DecidedAt
		e.Time = &at
	}
	failed := map[string]int{}
	if err := n.put(ctx, []types.PutEventsRequestEntry{e}, failed); err != nil {
		return fmt.Errorf("eventbridge: ClaimDecided %s: %w", d.ID, err)
	}
	if len(failed) > 0 {
		return &NoticeError{Total: 1, Failed: failed}
	}
	return nil
}
