package devcode

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	v := vars{
		s: map[string]string{"a": "x'y", "n": "3"},
		l: map[string][]string{"l": {"p", "q"}},
		b: map[string]bool{"yes": true, "no": false},
	}
	for tmpl, want := range map[string]string{
		"v={{a}} {{sh a}} {{js a}}\n":                      "v=x'y 'x'\\''y' \"x'y\"\n",
		"{{if yes}}\nA\n{{else}}\nB\n{{end}}\nC\n":         "A\nC\n",
		"{{if no}}\nA\n{{else}}\nB\n{{end}}\nC\n":          "B\nC\n",
		"{{if !no}}{{if yes}}in{{else}}x{{end}}{{end}}\n":  "in\n",
		"{{if no}}{{if yes}}in{{end}}{{else}}out{{end}}\n": "out\n",
		"[{{jslist l}}]{{shsubs l}} { {{clist l}} }\n":     "[\"p\", \"q\"] -t 'p' -t 'q' { \"p\", \"q\" }\n",
		"{{{if yes}}{{n}}{{end}}}\n":                       "{3}\n",
		"  {{if yes}}\nkept {{n}}\n  {{end}}\n":            "kept 3\n",
	} {
		got, err := render(tmpl, v)
		if err != nil || got != want {
			t.Errorf("render(%q) = %q, %v; want %q", tmpl, got, err, want)
		}
	}
	for _, bad := range []string{"{{missing}}", "{{if missing}}{{end}}", "{{if yes}}", "{{end}}", "{{else}}", "{{sh l}}", "{{nope a}}", "{{a b c}}"} {
		if _, err := render(bad, v); err == nil || !strings.Contains(err.Error(), "template") {
			t.Errorf("render(%q): %v, want an error", bad, err)
		}
	}
}

// Every program renders for every combination of its flags.
func TestProgramsRender(t *testing.T) {
	for lang, tmpl := range programs {
		for _, include := range []bool{false, true} {
			for _, tls := range []bool{false, true} {
				for _, replies := range [][]string{nil, {"r/accepted", "r/rejected"}} {
					d := data{Spec: Spec{IncludeKey: include, TLS: tls}, Replies: replies}
					if _, err := render(tmpl, d.vars()); err != nil {
						t.Errorf("%s key=%v tls=%v replies=%v: %v", lang, include, tls, replies, err)
					}
				}
			}
		}
	}
}
