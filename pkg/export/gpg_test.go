package export_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/profilesync/profilesync/pkg/export"
)

// GnuPG, what a consumer most likely decrypts with, reads our files.
// Skipped where gpg is not installed.
func TestGnuPGDecrypts(t *testing.T) {
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		t.Skip("gpg not installed")
	}
	key, pub := throwawayKey(t)
	home := t.TempDir()
	env := append(os.Environ(), "GNUPGHOME="+home)
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = env
		_ = kill.Run()
	})
	var secret bytes.Buffer
	w, _ := armor.Encode(&secret, openpgp.PrivateKeyType, nil)
	if err := key.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	keyFile := filepath.Join(home, "secret.asc")
	os.WriteFile(keyFile, secret.Bytes(), 0o600)
	imp := exec.Command(gpg, "--batch", "--import", keyFile)
	imp.Env = env
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("gpg import: %v\n%s", err, out)
	}

	f := export.Format{Type: export.CSV, Gzip: true, Recipient: pub}
	stored, _ := encode(t, f, sampleColumns, sampleRows())
	plain, _ := encode(t, export.Format{Type: export.CSV}, sampleColumns, sampleRows())
	file := filepath.Join(home, "part"+f.Extension())
	os.WriteFile(file, stored, 0o600)
	dec := exec.Command(gpg, "--batch", "--quiet", "--decrypt", file)
	dec.Env = env
	var out, errOut bytes.Buffer
	dec.Stdout, dec.Stderr = &out, &errOut
	if err := dec.Run(); err != nil {
		t.Fatalf("gpg decrypt: %v\n%s", err, errOut.String())
	}
	if got := gunzip(t, out.Bytes()); !bytes.Equal(got, plain) {
		t.Error("gpg's plaintext differs from the CSV")
	}
}
