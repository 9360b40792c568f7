package httpsdest

import (
	"net/http"
	"testing"

	"github.com/profilesync/profilesync/pkg/spec"
)

func TestSecretDecodesWithDefaults(t *testing.T) {
	raw := `{"url":"https://upload.example.com/{name}","headers":{"Authorization":"Bearer x"}}`
	var cfg Config
	if err := spec.DecodeJSON(Spec.Secret, []byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Method != http.MethodPut || cfg.ContentType != DefaultContentType || cfg.Headers["Authorization"] != "Bearer x" {
		t.Fatalf("decoded %+v", cfg)
	}
	if err := spec.DecodeJSON(Spec.Secret, []byte(`{"url":"https://x/{name}","method":"DELETE"}`), &cfg); err == nil {
		t.Fatal("method DELETE decoded")
	}
}
