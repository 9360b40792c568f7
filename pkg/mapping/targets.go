package mapping

// TargetPaths returns the target paths the rules write (fields and
// constants), sorted: what a reconciliation reads back and compares.
func (r *Rules) TargetPaths() []string {
	out := make([]string, 0, len(r.plan))
	for _, o := range r.plan {
		out = append(out, o.to)
	}
	return out
}

// Base returns the default rules: those of an event with no environment
// and no client ID.
func (m *Mapping) Base() *Rules { return m.base }
