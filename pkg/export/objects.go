package export

import (
	"context"
	"errors"
	"fmt"
)

// NewObjectSegment is a segment of NDJSON whose lines are whole JSON
// objects the caller encoded (WriteObject), not rows of fixed columns: a
// record with nested values and encoding/json's omitempty, such as a sync
// log entry, keeps its own shape. f.Type must be ndjson; gzip and OpenPGP
// work as for any segment.
func NewObjectSegment(ctx context.Context, dest Destination, name string, f Format) (*Segment, error) {
	if f.Type != NDJSON {
		return nil, fmt.Errorf("format type %q: objects are written as ndjson only", f.Type)
	}
	s, err := NewSegment(ctx, dest, name, f, []string{"object"})
	if err != nil {
		return nil, err
	}
	s.columns = 0 // Write(row) is refused: rows have no columns here
	return s, nil
}

// WriteObject writes obj, one JSON object, as the next line: compacted,
// so a newline inside it cannot split the line. Only a segment of
// NewObjectSegment takes objects.
func (s *Segment) WriteObject(obj []byte) error {
	enc, ok := s.enc.(*ndjsonEncoder)
	switch {
	case s.done:
		return errors.New("segment: write after close")
	case s.err != nil:
		return s.err
	case !ok || s.columns != 0:
		return errors.New("segment: objects go to a segment of NewObjectSegment")
	}
	if err := enc.WriteObject(obj); err != nil {
		s.err = fmt.Errorf("segment row %d: %w", s.rows+1, err)
		return s.err
	}
	s.rows++
	return nil
}

// WriteObject writes one JSON object as a line.
func (e *ndjsonEncoder) WriteObject(obj []byte) error {
	b, _, err := appendCompactJSON(e.line[:0], obj)
	if err != nil {
		return err
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("json value: not an object")
	}
	e.line = append(b, '\n')
	_, err = e.w.Write(e.line)
	return err
}
