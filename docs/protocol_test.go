// Package docs holds the project's documentation; its test checks that
// PROTOCOL.md's fidelity table names only code and tests that exist.
package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// A fidelityRow is one rule of PROTOCOL.md §14.
type fidelityRow struct {
	line                   int
	rule, status, section  string
	codes                  []string // rule codes (onenet.Section's keys)
	onenet, broker, tests  []string // `pkg.Name` references
	onenetCell, brokerCell string
}

var refRE = regexp.MustCompile("`([^`]+)`")

// parseFidelity reads the table between the fidelity markers.
func parseFidelity(t *testing.T, doc string) []fidelityRow {
	t.Helper()
	begin := strings.Index(doc, "<!-- fidelity:begin -->")
	end := strings.Index(doc, "<!-- fidelity:end -->")
	if begin < 0 || end < begin {
		t.Fatal("PROTOCOL.md: no <!-- fidelity:begin --> … <!-- fidelity:end --> table")
	}
	first := strings.Count(doc[:begin], "\n") + 1
	var rows []fidelityRow
	for i, l := range strings.Split(doc[begin:end], "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") || strings.HasPrefix(l, "|---") || strings.HasPrefix(l, "| rule ") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		if len(cells) != 7 {
			t.Errorf("PROTOCOL.md:%d: %d cells, want 7 (rule, status, section, codes, onenet/, broker, tests)", first+i, len(cells))
			continue
		}
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		refs := func(s string) []string {
			var out []string
			for _, m := range refRE.FindAllStringSubmatch(s, -1) {
				out = append(out, m[1])
			}
			return out
		}
		rows = append(rows, fidelityRow{
			line: first + i, rule: cells[0], status: cells[1], section: cells[2], codes: refs(cells[3]),
			onenet: refs(cells[4]), broker: refs(cells[5]), tests: refs(cells[6]),
			onenetCell: cells[4], brokerCell: cells[5],
		})
	}
	return rows
}

// declared holds the names a package directory declares: "F" for functions,
// types, constants and variables, "T.M" for methods.
type declared map[string]bool

func declarations(t *testing.T, root, dir string, cache map[string]declared) declared {
	if d, ok := cache[dir]; ok {
		return d
	}
	d := declared{}
	cache[dir] = d
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil || len(files) == 0 {
		return d
	}
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("parse %s: %v", f, err)
			continue
		}
		for _, decl := range af.Decls {
			switch x := decl.(type) {
			case *ast.FuncDecl:
				if x.Recv == nil || len(x.Recv.List) == 0 {
					d[x.Name.Name] = true
					continue
				}
				typ := x.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					d[id.Name+"."+x.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range x.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						d[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							d[n.Name] = true
						}
					}
				}
			}
		}
	}
	return d
}

// resolve checks that ref ("broker.TestX", "wasm/core.TestX",
// "broker.accessHook.OnConnect") names something declared.
func resolve(t *testing.T, root, ref string, cache map[string]declared) bool {
	slash := strings.LastIndexByte(ref, '/')
	dot := strings.IndexByte(ref[slash+1:], '.')
	if dot < 0 {
		return false
	}
	dir, name := ref[:slash+1+dot], ref[slash+1+dot+1:]
	name, _, _ = strings.Cut(name, "/") // a subtest: TestX/case
	return declarations(t, root, dir, cache)[name]
}

// TestFidelityTable: every rule of PROTOCOL.md §14 names tests that exist,
// the code it names exists, its section exists, the counts match, and
// every rule code the page or the broker uses is in a row.
func TestFidelityTable(t *testing.T) {
	data, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	rows := parseFidelity(t, doc)
	if len(rows) == 0 {
		t.Fatal("PROTOCOL.md: the fidelity table has no rows")
	}
	outside := doc[:strings.Index(doc, "<!-- fidelity:begin -->")]
	cache := map[string]declared{}
	seen := map[string]int{}
	counts := map[string]int{}
	for _, r := range rows {
		at := "PROTOCOL.md:" + strconv.Itoa(r.line) + ": " + r.rule
		if r.rule == "" {
			t.Errorf("%s: no rule id", at)
		}
		if l, dup := seen[r.rule]; dup {
			t.Errorf("%s: rule id also on line %d", at, l)
		}
		seen[r.rule] = r.line
		switch r.status {
		case "exact", "differs", "undocumented":
			counts[r.status]++
		default:
			t.Errorf("%s: status %q, want exact, differs or undocumented", at, r.status)
		}
		if !strings.HasPrefix(r.section, "§") || !strings.Contains(outside, r.section+" ") {
			t.Errorf("%s: section %q is not a section of PROTOCOL.md", at, r.section)
		}
		if len(r.tests) == 0 {
			t.Errorf("%s: no test: a rule without a test is not emulated", at)
		}
		for _, ref := range r.tests {
			if !strings.Contains(ref, ".Test") && !strings.Contains(ref, ".Example") && !strings.Contains(ref, ".Fuzz") {
				t.Errorf("%s: %q is not a test (Test…, Example… or Fuzz…)", at, ref)
			}
		}
		for _, cell := range []struct {
			text string
			refs []string
		}{{r.onenetCell, r.onenet}, {r.brokerCell, r.broker}} {
			if cell.text != "—" && len(cell.refs) == 0 {
				t.Errorf("%s: %q: name the code as `package.Name`, or write —", at, cell.text)
			}
		}
		for _, ref := range append(append(append([]string{}, r.onenet...), r.broker...), r.tests...) {
			if !resolve(t, "..", ref, cache) {
				t.Errorf("%s: %s is declared nowhere in the repository", at, ref)
			}
		}
	}
	checkRuleCodes(t, rows)
	m := regexp.MustCompile(`<!-- counts -->exact (\d+), differs (\d+), undocumented (\d+)<!-- /counts -->`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("PROTOCOL.md: no <!-- counts -->exact N, differs N, undocumented N<!-- /counts --> line")
	}
	for i, s := range []string{"exact", "differs", "undocumented"} {
		if n, _ := strconv.Atoi(m[i+1]); n != counts[s] {
			t.Errorf("PROTOCOL.md: the counts say %s %d; the table has %d", s, n, counts[s])
		}
	}
}

// checkRuleCodes: every rule code the page or the broker uses (the keys of
// onenet.Sections, and the codes written in the broker's code) is in the
// codes of exactly one row, and every code a row names is one of
// onenet.Sections, so that its log line and its warning cite a section.
func checkRuleCodes(t *testing.T, rows []fidelityRow) {
	t.Helper()
	sections := onenet.Sections()
	used := map[string]string{} // code → the code's origin
	for code := range sections {
		used[code] = "onenet.Sections"
	}
	for code, at := range brokerRuleCodes(t, "../broker", sections) {
		if _, ok := sections[code]; !ok {
			t.Errorf("%s: rule code %q has no section in onenet.Sections: its log line cites none", at, code)
		}
		if _, ok := used[code]; !ok {
			used[code] = at
		}
	}
	row := map[string]string{}
	for _, r := range rows {
		at := "PROTOCOL.md:" + strconv.Itoa(r.line) + ": " + r.rule
		for _, code := range r.codes {
			if _, ok := sections[code]; !ok {
				t.Errorf("%s: code %q is not a rule code of onenet.Sections", at, code)
			}
			if other, dup := row[code]; dup {
				t.Errorf("%s: code %q is also in row %s", at, code, other)
			}
			row[code] = r.rule
		}
	}
	for code, at := range used {
		if _, ok := row[code]; !ok {
			t.Errorf("rule code %q (%s) is in no row of the fidelity table: add it to a row's codes, or add a row with its test", code, at)
		}
	}
}

// ruleCodeRE is the form of a rule code: "topic.chars", "connect.username.number".
var ruleCodeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(\.[A-Za-z0-9]+)+$`)

// brokerRuleCodes returns the string constants of the broker's code (not
// its tests) that have the form of a rule code of one of the families of
// sections ("studio.", "filter.", …): the codes its log lines name, with
// where each is written.
func brokerRuleCodes(t *testing.T, dir string, sections map[string]string) map[string]string {
	t.Helper()
	families := map[string]bool{}
	for code := range sections {
		f, _, _ := strings.Cut(code, ".")
		families[f] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("parse %s: %v", f, err)
			continue
		}
		ast.Inspect(af, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil || !ruleCodeRE.MatchString(v) {
				return true
			}
			if f, _, _ := strings.Cut(v, "."); families[f] {
				p := fset.Position(lit.Pos())
				out[v] = filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
			}
			return true
		})
	}
	return out
}

// TestRuleCodesCiteSections: every section onenet.Section gives for a rule
// code (what the page and the broker's log cite) is a section of
// PROTOCOL.md.
func TestRuleCodesCiteSections(t *testing.T) {
	data, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	outside := doc[:strings.Index(doc, "<!-- fidelity:begin -->")]
	for code, sec := range onenet.Sections() {
		if !strings.Contains(outside, sec+" ") {
			t.Errorf("onenet.Section(%q) = %q, not a section of PROTOCOL.md", code, sec)
		}
	}
}

// TestNoCitationsOutsideTheRepository: code cites docs/PROTOCOL.md, never
// notes kept outside the repository.
func TestNoCitationsOutsideTheRepository(t *testing.T) {
	bad := regexp.MustCompile(`notes[/]onenet-protocol\.md|notes[/]go-wasm-mqtt\.md|notes go-wasm-mqtt|\bnotes §\d`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "vendor", ".git", "dist", "bin", "release":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".js", ".ts", ".html", ".css", ".sh", ".pem":
		default:
			return nil
		}
		if filepath.Base(path) == "protocol_test.go" {
			return nil // this test's own pattern
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d: cites notes outside the repository; cite docs/PROTOCOL.md: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
