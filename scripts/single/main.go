// Command single writes the page as one self-contained HTML file that works
// when opened from disk (file://): styles, scripts, wasm_exec.js and both
// wasm modules inside it (see internal/singlepage).
//
//	go run ./scripts/single -from web -out dist/onenet-tool.html
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/onenet-wasm/onenet-wasm/internal/singlepage"
)

func main() {
	from := flag.String("from", "web", "the page's folder, built (make build)")
	out := flag.String("out", "dist/onenet-tool.html", "the file to write")
	flag.Parse()
	res, err := singlepage.Build(singlepage.Options{From: *from})
	if err == nil {
		err = os.MkdirAll(filepath.Dir(*out), 0o755)
	}
	if err == nil {
		err = os.WriteFile(*out, res.HTML, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "single:", err)
		os.Exit(1)
	}
	fmt.Printf("single: %s build %s, %.2f MB (scripts %d KB, styles %d KB", *out, res.Build.ID, float64(len(res.HTML))/1e6, res.Scripts/1000, res.Styles/1000)
	for _, w := range res.Wasm {
		fmt.Printf(", %s %.2f MB gzip %.2f MB", w.Name, float64(w.Size)/1e6, float64(w.Packed)/1e6)
	}
	for _, d := range res.Data {
		fmt.Printf(", %s %d B", d.Name, d.Size)
	}
	fmt.Println(")")
}
