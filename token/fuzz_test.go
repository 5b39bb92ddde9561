package token

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.want)
	}
	f.Add("version=2018-10-31&res=%&et=&method=&sign=")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			if tok != nil {
				t.Fatalf("Parse(%q) returned a token with error %v", s, err)
			}
			return
		}
		// What parses re-encodes to something that parses to the same token.
		again, err := Parse(tok.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(String()) = %v", s, err)
		}
		if *again != *tok {
			t.Fatalf("round trip changed %+v to %+v", tok, again)
		}
	})
}

func FuzzVerify(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.want, v.p.Key, v.p.ET-1)
	}
	f.Fuzz(func(t *testing.T, s, key string, now int64) {
		tok, err := Verify(s, key, VerifyOptions{Now: time.Unix(now, 0)})
		if err == nil && (tok == nil || tok.ET <= now) {
			t.Fatalf("Verify(%q) accepted a token expiring at %v at %d", s, tok, now)
		}
	})
}
