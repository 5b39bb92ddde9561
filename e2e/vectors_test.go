package e2e

import "github.com/onenet-wasm/onenet-wasm/internal/version"

// publishedVectors are tokens published for OneNET's algorithm, written
// out literally (token/token_test.go holds them with their sources;
// docs/PROTOCOL.md §1): the page must give these very strings, not only
// what token.Generate gives.
var publishedVectors = []struct {
	name, pid, dev, key, method string
	et                          int64
	want                        string
}{
	{"seed (QuecPython guide)", "469948", "Chic_D", "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", "sha1", 1673053248,
		"version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D"},
	{"OneNET's documentation, md5", "Ck2AF9QD2K", "test", "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", "md5", 32472115200,
		"version=2018-10-31&res=products%2FCk2AF9QD2K%2Fdevices%2Ftest&et=32472115200&method=md5&sign=htDD26UhXtXayMFAWRmNiA%3D%3D"},
	{"OneNET's documentation, sha1", "Ck2AF9QD2K", "test", "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", "sha1", 32472115200,
		"version=2018-10-31&res=products%2FCk2AF9QD2K%2Fdevices%2Ftest&et=32472115200&method=sha1&sign=onzQlILHFFNqIY%2BdOXYM3lthLT8%3D"},
	{"published md5", "c4bPG3v7Ii", "75440271", "kxc3VSPtJXnf66FlG21Hh9kTL1dXU9F1FSPJ4yHPSxE=", "md5", 1959846627,
		"version=2018-10-31&res=products%2Fc4bPG3v7Ii%2Fdevices%2F75440271&et=1959846627&method=md5&sign=HhSJmJUChxGbjnQaGiRbCQ%3D%3D"},
}

// checkPublishedVectors fills the token form with each published vector
// and compares the page's token with the published string.
func (e *env) checkPublishedVectors() {
	e.t.Helper()
	for _, v := range publishedVectors {
		e.fillToken("device", v.pid, v.dev, v.key, v.method, v.et)
		if got := e.value("token-out"); got != v.want {
			e.t.Errorf("%s: page token\n %s\npublished\n %s\nmessages: %s", v.name, got, v.want, e.text("token-msgs"))
		}
	}
}

// checkVersion checks that the page shows the version it was built with
// (internal/version, from core.wasm), as app.js writes it: "v" and the
// version.
func (e *env) checkVersion() {
	e.t.Helper()
	if got, want := e.text("app-version"), "v"+version.Version; got != want {
		e.t.Errorf("the page shows the version %q, want %q", got, want)
	}
}
