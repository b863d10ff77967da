// Package fingerprints holds Vigil's open corpus of device classification
// rules: YAML files, one rule per file, named after the rule's id. They are
// data, reviewed like code; docs/fingerprints.md documents the schema and
// internal/fingerprint loads and evaluates them.
//
// It owns only the files and their embedding; it must hold no Go logic.
package fingerprints

import "embed"

// FS holds every rule file (*.yaml) of this folder.
//
//go:embed *.yaml
var FS embed.FS
