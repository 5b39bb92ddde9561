// Package version is the version of this build of the commands and the
// page's wasm, without the leading "v": "0.1.0-dev" unless the build sets
// it, as `make release VERSION=v1.2.0` does:
//
//	go build -ldflags "-X github.com/onenet-wasm/onenet-wasm/internal/version.Version=1.2.0"
package version

// Version is set at link time.
var Version = "0.1.0-dev"

// LinkFlag is the -ldflags -X argument that sets Version to v (with or
// without its leading "v").
func LinkFlag(v string) string {
	if len(v) > 1 && v[0] == 'v' {
		v = v[1:]
	}
	return "-X github.com/onenet-wasm/onenet-wasm/internal/version.Version=" + v
}
