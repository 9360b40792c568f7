package delivery

import (
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// reportDropped logs one WARN per field a transform could not convert
// under on_invalid: drop, and counts it, so no value is dropped in silence.
// It names the field and the transform, never the value.
func (h *Handler) reportDropped(e profile.Event, dropped []mapping.Dropped) {
	for _, d := range dropped {
		h.Counts.InvalidDropped.Add(1)
		reason := "transform " + d.Transform + " could not convert the value; field left out (on_invalid: drop)"
		if d.Default {
			reason = "transform " + d.Transform + " could not convert the value; field took its default (on_invalid: drop)"
		}
		h.log().Warn("mapped field dropped", "target", h.Target, "event_id", e.ID, "event_type", string(e.Type),
			"field", d.Field, "transform", d.Transform, "reason", reason)
	}
}
