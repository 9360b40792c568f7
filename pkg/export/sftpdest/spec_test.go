package sftpdest

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/spec"
)

func TestSecretDecodesWithDefaults(t *testing.T) {
	raw := `{"host":"sftp.example.com","user":"exports","private_key":"k","host_key":"ssh-ed25519 AAAA","dir":"in"}`
	var cfg Config
	if err := spec.DecodeJSON(Spec.Secret, []byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Port != DefaultPort || cfg.Host != "sftp.example.com" || cfg.Dir != "in" {
		t.Fatalf("decoded %+v", cfg)
	}
	err := spec.DecodeJSON(Spec.Secret, []byte(`{"host":"h","user":"u","private_key":"k"}`), &cfg)
	if err == nil || !strings.Contains(err.Error(), "host_key") {
		t.Fatalf("a secret without host_key: %v", err)
	}
}
