package singlepage

import "testing"

func TestSafeScript(t *testing.T) {
	for in, want := range map[string]string{
		`a = "</script>"`:           `a = "<\/script>"`,
		`a = "</SCRIPT >" + "<!--"`: `a = "<\/SCRIPT >" + "<\!--"`,
		`/<\/script/i`:              `/<\/script/i`,
		`x < y`:                     `x < y`,
	} {
		if got := safeScript(in); got != want {
			t.Errorf("safeScript(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocal(t *testing.T) {
	for ref, want := range map[string]bool{
		"app.js": true, "vendor/uPlot.min.css": true, "./style.css": true,
		"": false, "https://cdn.example/x.js": false, "/abs.js": false, "../up.js": false, "data:text/css,x": false,
	} {
		if got := local(ref); got != want {
			t.Errorf("local(%q) = %v, want %v", ref, got, want)
		}
	}
}
