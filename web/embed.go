// Package web holds the page: HTML, CSS, JavaScript modules, and the wasm
// modules and wasm_exec.js that `make wasm` generates beside them. The files
// are embedded so that the local server is one self-contained binary.
package web

import "embed"

// Files is the page's folder. The generated files are present only after
// `make wasm`; the server reports their absence.
//
//go:embed *
var Files embed.FS
