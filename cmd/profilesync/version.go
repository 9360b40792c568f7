package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

const versionHelp = `
Usage: profilesync version

Print the module version, the VCS revision it was built from (with
"+dirty" when the work tree had changes) and the Go version.`

func runVersion(_ context.Context, c *cli, args []string) error {
	f := newFlags("version", versionHelp)
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, versionLine())
	return nil
}

// versionLine is "profilesync VERSION (REVISION) GO", from the build info
// the Go toolchain embeds.
func versionLine() string {
	version, revision := "(devel)", "unknown revision"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
				if len(revision) > 12 {
					revision = revision[:12]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty {
			revision += "+dirty"
		}
	}
	return fmt.Sprintf("profilesync %s (%s) %s", version, revision, runtime.Version())
}
