package phone

import "testing"

func TestE164(t *testing.T) {
	tests := []struct {
		number, region, want string
		ok                   bool
	}{
		{"0151 12345678", "DE", "+4915112345678", true},
		{"0151 12345678", "de", "+4915112345678", true},
		{"+44 20 7946 0958", "DE", "+442079460958", true},
		{"(0)664 1234567", "AT", "+436641234567", true},
		{"  +1 (415) 555-2671 ", "", "+14155552671", true},
		{"0151 12345678", "", "", false}, // national number, no region
		{"123", "DE", "", false},
		{"call me", "DE", "", false},
		{"", "DE", "", false},
		{"+49 151 1234567890123", "DE", "", false}, // too long
	}
	for _, tt := range tests {
		got, ok := E164(tt.number, tt.region)
		if got != tt.want || ok != tt.ok {
			t.Errorf("E164(%q, %q) = %q, %v; want %q, %v", tt.number, tt.region, got, ok, tt.want, tt.ok)
		}
	}
}
