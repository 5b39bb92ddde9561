// Command dist writes the page as plain static files for any static host:
// the page's files from web/ (after `make build`), the precompressed .br and
// .gz siblings of the wasm, and build.js, which names the build for the
// service worker. Nothing in it needs a server-side program, and every path
// in it is relative, so it works from a sub-path.
//
//	go run ./scripts/dist -from web -out dist
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
)

func main() {
	from := flag.String("from", "web", "the page's folder, built")
	out := flag.String("out", "dist", "the folder to write (replaced)")
	flag.Parse()
	st, err := pagefiles.WriteDist(*from, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
	fmt.Printf("dist: %s/ build %s, %d files, %.1f MB (the browser fetches the page and both wasm modules once, then works offline)\n",
		*out, st.Build.ID, st.Files, float64(st.Bytes)/1e6)
}
