package export

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Manifest lists an export run's files. It is written last: a consumer
// that finds it knows every file it names is whole, and can check each
// against its size and SHA-256.
type Manifest struct {
	Export   string        `json:"export"`
	Run      string        `json:"run"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Format   Format        `json:"format"`
	Columns  []string      `json:"columns"`
	Files    []SegmentInfo `json:"files"`
	Rows     int64         `json:"rows"`
	// Watermark is where the next incremental run continues from (the
	// largest updated_at exported, say); opaque to this package.
	Watermark string `json:"watermark,omitempty"`
	// Complete is true in the manifest of a run that reached its end.
	// A runner may write one with Complete false as a checkpoint (the
	// segments so far and the watermark to go on from) under a name
	// consumers do not watch; consumers take only a complete manifest.
	Complete bool `json:"complete"`
}

// WriteManifest stores m as indented JSON under name. Call it after every
// segment is closed. Files must not be nil: an empty export lists [].
func WriteManifest(ctx context.Context, dest Destination, name string, m Manifest) error {
	if m.Files == nil {
		m.Files = []SegmentInfo{}
	}
	var rows int64
	for _, f := range m.Files {
		rows += f.Rows
	}
	if rows != m.Rows {
		return fmt.Errorf("manifest: rows %d, but the files hold %d", m.Rows, rows)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	b = append(b, '\n')
	obj, err := dest.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("manifest create: %w", err)
	}
	if _, err := obj.Write(b); err != nil {
		_ = obj.Abort(ctx)
		return fmt.Errorf("manifest write: %w", err)
	}
	if _, err := obj.Commit(ctx); err != nil {
		_ = obj.Abort(ctx)
		return fmt.Errorf("manifest commit: %w", err)
	}
	return nil
}
