package main

import (
	sourceregistry "github.com/profilesync/profilesync/pkg/source/registry"
	"github.com/profilesync/profilesync/pkg/spec"
)

// sourceSpecs are the source platforms' specs, for the README's secret
// tables.
func sourceSpecs() []spec.Component { return sourceregistry.Specs() }
