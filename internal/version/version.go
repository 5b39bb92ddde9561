// Package version is the version of this build of the commands and the
// page: "dev" unless the build sets it, as `make release` does:
//
//	go build -ldflags "-X github.com/onenet-wasm/onenet-wasm/internal/version.Version=v1.2.0"
package version

// Version is set at link time; "dev" for an ordinary build.
var Version = "dev"
