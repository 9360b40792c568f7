package export_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/profilesync/profilesync/pkg/export"
)

// throwawayKey makes a key pair and its armored public key.
func throwawayKey(t *testing.T) (*openpgp.Entity, string) {
	t.Helper()
	e, err := openpgp.NewEntity("export test", "", "export-test@example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return e, buf.String()
}

func decrypt(t *testing.T, key *openpgp.Entity, b []byte) []byte {
	t.Helper()
	md, err := openpgp.ReadMessage(bytes.NewReader(b), openpgp.EntityList{key}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// Every layer undone gives the plain encoding back, and the segment's
// checksum and size are of the bytes as stored.
func TestLayersRoundTrip(t *testing.T) {
	key, pub := throwawayKey(t)
	for _, typ := range []string{export.CSV, export.NDJSON, export.Parquet} {
		plain, _ := encode(t, export.Format{Type: typ}, sampleColumns, sampleRows())
		for _, tc := range []struct {
			gz, gpg bool
			ext     string
		}{
			{false, false, "." + typ},
			{true, false, "." + typ + ".gz"},
			{false, true, "." + typ + ".gpg"},
			{true, true, "." + typ + ".gz.gpg"},
		} {
			f := export.Format{Type: typ, Gzip: tc.gz}
			if tc.gpg {
				f.Recipient = pub
			}
			if typ == export.Parquet {
				tc.ext = strings.Replace(tc.ext, ".gz", "", 1)
			}
			if f.Extension() != tc.ext {
				t.Errorf("%+v extension %q, want %q", tc, f.Extension(), tc.ext)
			}
			stored, info := encode(t, f, sampleColumns, sampleRows())
			sum := sha256.Sum256(stored)
			if info.SHA256 != hex.EncodeToString(sum[:]) || info.Bytes != int64(len(stored)) || info.Name != "part-00001"+tc.ext {
				t.Errorf("%s %+v: info %+v does not describe the %d stored bytes", typ, tc, info, len(stored))
			}
			b := stored
			if tc.gpg {
				if bytes.Contains(b, []byte("O'Brien")) {
					t.Errorf("%s %+v: plaintext in the encrypted file", typ, tc)
				}
				b = decrypt(t, key, b)
			}
			if tc.gz && typ != export.Parquet {
				b = gunzip(t, b)
			}
			if typ == export.Parquet {
				_, _, rows := readParquet(t, b)
				if len(rows) != 4 {
					t.Errorf("%+v: %d parquet rows", tc, len(rows))
				}
				continue
			}
			if !bytes.Equal(b, plain) {
				t.Errorf("%s %+v: round trip differs", typ, tc)
			}
		}
	}
}

func TestPartName(t *testing.T) {
	for _, tc := range []struct {
		n    int
		f    export.Format
		want string
	}{
		{1, export.Format{Type: export.CSV}, "part-00001.csv"},
		{42, export.Format{Type: export.NDJSON, Gzip: true}, "part-00042.ndjson.gz"},
		{3, export.Format{Type: export.Parquet, Gzip: true, Recipient: "k"}, "part-00003.parquet.gpg"},
	} {
		if got := export.PartName(tc.n, tc.f); got != tc.want {
			t.Errorf("PartName(%d, %+v) = %q, want %q", tc.n, tc.f, got, tc.want)
		}
	}
}

func TestFormatValidate(t *testing.T) {
	_, pub := throwawayKey(t)
	for _, tc := range []struct {
		f    export.Format
		want string // "" for valid
	}{
		{export.Format{Type: export.CSV}, ""},
		{export.Format{Type: export.CSV, Delimiter: ';', Gzip: true, Recipient: pub}, ""},
		{export.Format{Type: export.NDJSON, Gzip: true}, ""},
		{export.Format{Type: export.Parquet}, ""},
		{export.Format{}, "missing"},
		{export.Format{Type: "xlsx"}, "xlsx"},
		{export.Format{Type: export.CSV, Delimiter: '"'}, "delimiter"},
		{export.Format{Type: export.CSV, Delimiter: '\n'}, "delimiter"},
		{export.Format{Type: export.NDJSON, Delimiter: ';'}, "CSV settings"},
		{export.Format{Type: export.Parquet, Header: export.WithHeader(true)}, "CSV settings"},
		{export.Format{Type: export.CSV, Recipient: "not a key"}, "recipient"},
	} {
		err := tc.f.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
}

// A destination that fails mid-write: the segment reports it and leaves
// nothing committed.
func TestSegmentDestinationFailure(t *testing.T) {
	dest := &failingDest{Memory: export.NewMemory(), after: 100}
	ctx := t.Context()
	s, err := export.NewSegment(ctx, dest, "x.ndjson.gz", export.Format{Type: export.NDJSON, Gzip: true}, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 100_000 && werr == nil; i++ {
		werr = s.Write([]any{strings.Repeat("x", i%97) + string(rune('a'+i%26))})
	}
	_, cerr := s.Close(ctx)
	if !errors.Is(errors.Join(werr, cerr), errFull) {
		t.Errorf("write %v, close %v: want the destination's error", werr, cerr)
	}
	if len(dest.Names()) != 0 || dest.Open() != 0 {
		t.Errorf("left %v, %d open", dest.Names(), dest.Open())
	}
}

var errFull = errors.New("disk full")

type failingDest struct {
	*export.Memory
	after int
}

func (d *failingDest) Create(ctx context.Context, name string) (export.Object, error) {
	o, err := d.Memory.Create(ctx, name)
	return &failingObject{Object: o, left: d.after}, err
}

type failingObject struct {
	export.Object
	left int
}

func (o *failingObject) Write(p []byte) (int, error) {
	if len(p) > o.left {
		return 0, errFull
	}
	o.left -= len(p)
	return o.Object.Write(p)
}

// A signing-only key cannot be the recipient: Validate says so.
func TestRecipientMustEncrypt(t *testing.T) {
	e, err := openpgp.NewEntity("sign only", "", "sign-only@example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Subkeys = nil // drop the encryption subkey; the RSA primary is flagged sign and certify only
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	err = export.Format{Type: export.CSV, Recipient: buf.String()}.Validate()
	if err == nil || !strings.Contains(err.Error(), "no valid encryption key") {
		t.Errorf("Validate: %v", err)
	}
}
