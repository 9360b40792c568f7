package main

import "github.com/profilesync/profilesync/pkg/spec"

// sourceSpecs are the source kinds' specs (none yet).
func sourceSpecs() []spec.Component { return nil }
