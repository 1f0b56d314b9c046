// Package configs embeds the shipped configuration files, so the binary runs
// its embedded default anywhere and data files (checklists, menu) travel
// with it.
package configs

import "embed"

// FS holds the files of this directory.
//
//go:embed *.yaml *.json knowledge/*.md
var FS embed.FS

// DefaultFile is the path of the embedded default configuration, relative to
// the repository root (and the working directory a newcomer runs from).
const DefaultFile = "configs/shianbao.yaml"
