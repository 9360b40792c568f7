package sandbox

import (
	"slices"
	"testing"
)

// Targets and Sources, which the CLI prints as the fakes the stack serves,
// are exactly the fakes mounted under Prefix.
func TestTargetsAndSourcesAreTheMountedFakes(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(s.Mounted()))
	want := slices.Sorted(slices.Values(append(slices.Clone(Targets), Sources...)))
	if !slices.Equal(got, want) {
		t.Fatalf("mounted %v, Targets+Sources %v", got, want)
	}
}
