package main

import (
	"github.com/vigil-iomt/vigil/internal/sigma"
	"github.com/vigil-iomt/vigil/rules"
)

// builtinRules parses Vigil's own cloud rules, embedded in the binary.
func builtinRules() ([]*sigma.Rule, error) {
	return sigma.LoadFS(rules.FS, ".")
}
