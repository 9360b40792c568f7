package awsadapter

import (
	"fmt"
	"testing"
)

func TestChunk(t *testing.T) {
	const k = 1 << 10
	tests := []struct {
		name  string
		sizes []int
		want  string
	}{
		{"empty", nil, "[]"},
		{"one", []int{10}, "[{0 1}]"},
		{"ten fit", repeat(10, 10), "[{0 10}]"},
		{"eleven split by count", repeat(11, 10), "[{0 10} {10 11}]"},
		{"bytes exactly at limit", []int{128 * k, 128 * k, 1}, "[{0 2} {2 3}]"},
		{"oversized goes alone", []int{1, 300 * k, 1}, "[{0 1} {1 2} {2 3}]"},
		{"oversized first", []int{300 * k, 1, 1}, "[{0 1} {1 3}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chunk(tt.sizes)
			if s := fmt.Sprint(got); s != tt.want {
				t.Fatalf("chunk(%v) = %s, want %s", tt.sizes, s, tt.want)
			}
		})
	}
}

func repeat(n, size int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = size
	}
	return out
}
