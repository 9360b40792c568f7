package devstack

import (
	"io/fs"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/stack"
)

func loadMappings(fsys fs.FS) (*mapping.Set, error) {
	if fsys == nil {
		fsys = mappings.FS
	}
	return stack.LoadMappings(fsys, ".")
}
