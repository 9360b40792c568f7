package plugins_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// Every shipped mapping validates against its connector's settings, and the
// embedded set is the directory on disk.
func TestShippedMappingsValidate(t *testing.T) {
	set, err := plugins.All.LoadMappings(mappings.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../../mappings/*.yaml")
	if len(files) == 0 || len(set.All()) != len(files) {
		t.Fatalf("%d mappings loaded, %d files", len(set.All()), len(files))
	}
}

func TestUnknownConnectorAndBadSettingsFailAtLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("crm.yaml", "version: 1\nconnector: hubspotx\nevents: [created]\n")
	write("sf.yaml", "version: 1\nconnector: salesforce\nsettings: {object: Contact}\nevents: [created]\n")
	_, err := plugins.All.LoadMappings(os.DirFS(dir), ".")
	if err == nil {
		t.Fatal("bad mappings loaded")
	}
	for _, want := range []string{`crm.yaml:2:12: settings: unknown connector "hubspotx"`, "sf.yaml:3:11: settings:", "external_id_field"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
