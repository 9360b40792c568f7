package main

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// loadMappings loads the mapping files of dir, or the built-in ones when
// dir is "", as the local stack loads them; it returns their file system
// too (job files, claim rules).
func loadMappings(dir string) (fs.FS, *mapping.Set, error) {
	var mfs fs.FS = mappings.FS
	if dir != "" {
		mfs = os.DirFS(dir)
	}
	ms, err := plugins.All.LoadMappings(mfs, ".")
	return mfs, ms, err
}

// targetNames lists ms's targets, for a "no target" usage error.
func targetNames(ms *mapping.Set) string {
	names := make([]string, 0, len(ms.All()))
	for _, m := range ms.All() {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// localFunction is the wiring a command shares with the running local
// stack: the development secrets in <data>/secrets, pointed at the stack's
// sandbox at base, and warnings on stderr.
func localFunction(c *cli, ms *mapping.Set, data, base string) wiring.Function {
	return wiring.Function{Mappings: ms, Sources: devstack.DefaultSources,
		Secrets: devstack.FileSecrets{Dir: filepath.Join(filepath.Clean(data), "secrets"), BaseURL: base},
		HTTP:    egress.Client(egress.Local, wiring.HTTPTimeout),
		Log:     slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}
