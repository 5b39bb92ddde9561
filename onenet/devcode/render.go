package devcode

import (
	"fmt"
	"strings"
)

// A small template language (text/template would add megabytes to the
// page's wasm): {{name}} writes a value, {{f name}} writes it through f
// (sh, js, c, comment; jslist, clist and shsubs for lists), and
// {{if name}} … {{else}} … {{end}} keeps text by a flag ({{if !name}} by its
// opposite). A line that holds only if/else/end directives disappears, with
// its newline.

// vars are the values, lists and flags a template sees.
type vars struct {
	s map[string]string
	l map[string][]string
	b map[string]bool
}

// directives returns the [start, end) of each {{…}} in s.
func directives(s string) [][2]int {
	var out [][2]int
	for off := 0; ; {
		i := strings.Index(s[off:], "{{")
		if i < 0 {
			return out
		}
		i += off
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return out
		}
		j += i + 4
		if strings.ContainsAny(s[i+2:j-2], "{}") {
			off = i + 1 // "{{{": the directive starts later
			continue
		}
		out = append(out, [2]int{i, j})
		off = j
	}
}

func isControl(d string) bool {
	d = strings.TrimSpace(d[2 : len(d)-2])
	return d == "else" || d == "end" || strings.HasPrefix(d, "if ")
}

func render(tmpl string, v vars) (string, error) {
	// Lines of control directives alone go, newline and indentation too.
	lines := strings.SplitAfter(tmpl, "\n")
	var src strings.Builder
	for _, line := range lines {
		locs := directives(line)
		control := len(locs) > 0
		var ds, rest strings.Builder
		prev := 0
		for _, l := range locs {
			control = control && isControl(line[l[0]:l[1]])
			ds.WriteString(line[l[0]:l[1]])
			rest.WriteString(line[prev:l[0]])
			prev = l[1]
		}
		rest.WriteString(line[prev:])
		if control && strings.TrimSpace(rest.String()) == "" {
			src.WriteString(ds.String())
			continue
		}
		src.WriteString(line)
	}
	text := src.String()
	var out strings.Builder
	type frame struct{ on, taken bool }
	stack := []frame{{on: true}}
	on := func() bool { return stack[len(stack)-1].on }
	for len(text) > 0 {
		locs := directives(text)
		if len(locs) == 0 {
			if on() {
				out.WriteString(text)
			}
			break
		}
		loc := locs[0]
		if on() {
			out.WriteString(text[:loc[0]])
		}
		d := strings.TrimSpace(text[loc[0]+2 : loc[1]-2])
		text = text[loc[1]:]
		fields := strings.Fields(d)
		switch {
		case len(fields) == 2 && fields[0] == "if":
			name, want := fields[1], true
			if strings.HasPrefix(name, "!") {
				name, want = name[1:], false
			}
			val, ok := v.b[name]
			if !ok {
				return "", fmt.Errorf("template: no flag %q", name)
			}
			c := on() && val == want
			stack = append(stack, frame{on: c, taken: c})
		case d == "else":
			if len(stack) < 2 {
				return "", fmt.Errorf("template: else without if")
			}
			top := &stack[len(stack)-1]
			top.on = stack[len(stack)-2].on && !top.taken
		case d == "end":
			if len(stack) < 2 {
				return "", fmt.Errorf("template: end without if")
			}
			stack = stack[:len(stack)-1]
		case !on():
			// A value in text that is left out is not looked up.
		case len(fields) == 1:
			s, ok := v.s[d]
			if !ok {
				return "", fmt.Errorf("template: no value %q", d)
			}
			out.WriteString(s)
		case len(fields) == 2:
			s, err := apply(fields[0], fields[1], v)
			if err != nil {
				return "", err
			}
			out.WriteString(s)
		default:
			return "", fmt.Errorf("template: bad directive {{%s}}", d)
		}
	}
	if len(stack) != 1 {
		return "", fmt.Errorf("template: if without end")
	}
	return out.String(), nil
}

func apply(f, name string, v vars) (string, error) {
	if list, ok := v.l[name]; ok {
		var parts []string
		for _, s := range list {
			switch f {
			case "jslist":
				parts = append(parts, jsq(s))
			case "clist":
				parts = append(parts, cq(s))
			case "shsubs":
				parts = append(parts, " -t "+shq(s))
			default:
				return "", fmt.Errorf("template: %s of a list", f)
			}
		}
		if f == "shsubs" {
			return strings.Join(parts, ""), nil
		}
		return strings.Join(parts, ", "), nil
	}
	s, ok := v.s[name]
	if !ok {
		return "", fmt.Errorf("template: no value %q", name)
	}
	switch f {
	case "sh":
		return shq(s), nil
	case "js":
		return jsq(s), nil
	case "c":
		return cq(s), nil
	case "comment":
		return comment(s), nil
	}
	return "", fmt.Errorf("template: no function %q", f)
}
