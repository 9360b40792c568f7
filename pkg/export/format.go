package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// The file types an export writes.
const (
	CSV     = "csv"
	NDJSON  = "ndjson"
	Parquet = "parquet"
)

// Format is how an export's rows are stored: the encoding and the layers
// around it. The zero Delimiter is a comma and a nil Header is true, so
// Format{Type: "csv"} is RFC 4180 CSV with a header line.
type Format struct {
	// Type is csv, ndjson or parquet.
	Type string
	// Delimiter separates CSV fields; zero means ','.
	Delimiter rune
	// Header writes the column names as the first CSV line; nil means yes.
	Header *bool
	// LF ends CSV lines with "\n" instead of RFC 4180's "\r\n".
	LF bool
	// KeepFormulas writes CSV text cells that start with '=', '+', '-',
	// '@', a tab or a CR as they are. By default such a cell gets a
	// leading "'" (OWASP's advice against CSV injection), so a spreadsheet
	// shows it as text instead of running it as a formula. Numbers, booleans
	// and times are typed values and never changed.
	KeepFormulas bool
	// Gzip compresses the file (".gz"). For Parquet it picks the column
	// codec instead (gzip rather than the default snappy): a Parquet file
	// compresses its own pages, and a gzip stream around it could no
	// longer be read by column.
	Gzip bool
	// Recipient is an armored OpenPGP public key; when set the file (after
	// compression) is encrypted to it (".gpg").
	Recipient string
}

// WithHeader is the value of a CSV Header field.
func WithHeader(b bool) *bool { return &b }

// Validate reports the first problem with f, naming the field.
func (f Format) Validate() error {
	switch f.Type {
	case CSV:
		d := f.delimiter()
		if d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d) {
			return fmt.Errorf("format delimiter %q: not a usable CSV delimiter", d)
		}
	case NDJSON, Parquet:
		if f.Delimiter != 0 || f.Header != nil || f.LF || f.KeepFormulas {
			return fmt.Errorf("format type %s: delimiter, header, lf and formulas are CSV settings", f.Type)
		}
	case "":
		return errors.New("format type: missing (csv, ndjson or parquet)")
	default:
		return fmt.Errorf("format type %q: want csv, ndjson or parquet", f.Type)
	}
	if f.Recipient != "" {
		if _, err := f.recipients(); err != nil {
			return err
		}
	}
	return nil
}

// Extension is the file name suffix of f: ".csv", ".csv.gz",
// ".ndjson.gz.gpg", ".parquet" (gzip or not), ".parquet.gpg".
func (f Format) Extension() string {
	ext := "." + f.Type
	if f.Gzip && f.Type != Parquet {
		ext += ".gz"
	}
	if f.Recipient != "" {
		ext += ".gpg"
	}
	return ext
}

func (f Format) delimiter() rune {
	if f.Delimiter == 0 {
		return ','
	}
	return f.Delimiter
}

func (f Format) header() bool { return f.Header == nil || *f.Header }

// recipients parses the armored public key(s) and picks each one's
// encryption key valid now. An expired or revoked key, one without an
// encryption subkey, or one of an algorithm this package cannot encrypt
// to would fail every run: Validate, which NewSegment calls before it
// creates a file, says so.
func (f Format) recipients() ([]pgpRecipient, error) {
	rs, err := pgpRecipients(f.Recipient, time.Now())
	if err != nil {
		return nil, fmt.Errorf("format recipient: %w", err)
	}
	return rs, nil
}

// formatJSON is Format as a manifest shows it: the delimiter as a string
// and, instead of the key, whether the file is encrypted and to which key.
type formatJSON struct {
	Type      string   `json:"type"`
	Delimiter string   `json:"delimiter,omitempty"`
	Header    *bool    `json:"header,omitempty"`
	LF        bool     `json:"lf,omitempty"`
	Gzip      bool     `json:"gzip,omitempty"`
	Encrypted bool     `json:"encrypted,omitempty"`
	KeyIDs    []string `json:"key_ids,omitempty"`
}

// MarshalJSON writes f for a manifest. The recipient's key is not
// repeated; its key ids (hex) say which key decrypts the files.
func (f Format) MarshalJSON() ([]byte, error) {
	j := formatJSON{Type: f.Type, Header: f.Header, LF: f.LF, Gzip: f.Gzip, Encrypted: f.Recipient != ""}
	if f.Type == CSV {
		j.Delimiter = string(f.delimiter())
		j.Header = WithHeader(f.header())
	}
	if f.Recipient != "" {
		keys, err := f.recipients()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			j.KeyIDs = append(j.KeyIDs, k.primary)
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote; the recipient stays empty.
func (f *Format) UnmarshalJSON(b []byte) error {
	var j formatJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Format{Type: j.Type, Header: j.Header, LF: j.LF, Gzip: j.Gzip}
	if j.Delimiter != "" {
		r, n := utf8.DecodeRuneInString(j.Delimiter)
		if n != len(j.Delimiter) {
			return fmt.Errorf("format delimiter %q: want one character", j.Delimiter)
		}
		f.Delimiter = r
	}
	return nil
}
