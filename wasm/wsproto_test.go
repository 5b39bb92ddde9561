package wasm

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestSocketProtocolConstants: the numbers of the socket protocol between
// the MQTT module (mqtt/wsproto.go) and the page (web/onenet/wsproto.js)
// are the same constants, by name and value, on both sides.
func TestSocketProtocolConstants(t *testing.T) {
	goConsts := map[string]int64{}
	f, err := parser.ParseFile(token.NewFileSet(), "mqtt/wsproto.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				v, ok := intConst(vs.Values[i])
				if !ok {
					t.Fatalf("mqtt/wsproto.go: %s is not an integer literal", name.Name)
				}
				goConsts[name.Name] = v
			}
		}
	}

	src, err := os.ReadFile("../web/onenet/wsproto.js")
	if err != nil {
		t.Fatal(err)
	}
	jsConsts := map[string]int64{}
	for _, m := range regexp.MustCompile(`(?m)^export const (\w+) = (-?\d+);`).FindAllSubmatch(src, -1) {
		v, err := strconv.ParseInt(string(m[2]), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		jsConsts[string(m[1])] = v
	}

	if len(goConsts) < 8 {
		t.Fatalf("mqtt/wsproto.go: %d constants, want the 8 of the protocol: %v", len(goConsts), goConsts)
	}
	if !maps.Equal(goConsts, jsConsts) {
		t.Errorf("socket protocol constants differ:\n Go (wasm/mqtt/wsproto.go): %v\n JS (web/onenet/wsproto.js): %v", goConsts, jsConsts)
	}
}

// intConst evaluates an integer literal, possibly negated.
func intConst(e ast.Expr) (int64, bool) {
	neg := false
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		neg, e = true, u.X
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, false
	}
	v, ok := constant.Int64Val(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
	if neg {
		v = -v
	}
	return v, ok
}
