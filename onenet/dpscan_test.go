package onenet

import (
	"bytes"
	"strings"
	"testing"
)

// compareScan fails t unless ScanDPPost agrees with ParseDPPost on b: it
// accepts only what ParseDPPost accepts, with the same id and datapoints.
// It returns whether the scanner accepted b.
func compareScan(t *testing.T, b []byte) bool {
	t.Helper()
	var s DPScan
	ok := ScanDPPost(b, &s)
	post, err := ParseDPPost(b)
	if !ok {
		if len(s.Points) != 0 {
			t.Fatalf("ScanDPPost(%q) = false with %d points left", b, len(s.Points))
		}
		return false
	}
	if err != nil {
		t.Fatalf("ScanDPPost(%q) = true, but ParseDPPost refuses it: %v", b, err)
	}
	if s.ID != post.ID {
		t.Fatalf("ScanDPPost(%q): id %d, ParseDPPost %d", b, s.ID, post.ID)
	}
	// The same datastreams in the same order, each with the same points.
	i := 0
	for _, name := range post.Order {
		for _, p := range post.Streams[name] {
			if i >= len(s.Points) {
				t.Fatalf("ScanDPPost(%q): %d points, ParseDPPost more", b, len(s.Points))
			}
			q := s.Points[i]
			if string(q.Stream) != name || !bytes.Equal(q.V, p.V) || q.T != p.T {
				t.Fatalf("ScanDPPost(%q): point %d is %q %q t=%d; ParseDPPost: %q %q t=%d", b, i, q.Stream, q.V, q.T, name, p.V, p.T)
			}
			i++
		}
	}
	if i != len(s.Points) {
		t.Fatalf("ScanDPPost(%q): %d points, ParseDPPost %d", b, len(s.Points), i)
	}
	return true
}

// Uploads the scanner reads itself: what devices send.
var scanAccepts = []string{
	`{"id":1,"dp":{"temperature":[{"v":23.5}],"humidity":[{"v":61}]}}`,
	`{"id":123,"dp":{"temp":[{"v":30,"t":1552289676}]}}`,
	"{\n \"id\": 123,\n \"dp\": {\"temperatrue\": [{\"v\": 30}],\n \"power\": [{\"v\": 4.5}]}}\n",
	`{"id":2147483647,"dp":{"$sys.x_1":[{"v":"on"},{"v":{"a":{"b":{"c":{"d":[1]}}}},"t":1}]}}`,
	`{"id":5,"extra":[true,null,{"x":"\u4e2d"}],"dp":{"` + strings.Repeat("a", 30) + `":[{"v":-1.5e3,"q":1}]}}`,
	`{"dp":{"s":[{"t":999999999999,"v":"温度 \"quoted\" \\ \ud83d\ude00"}]},"id":7}`,
	`{"id":1,"dp":{"o":[{"v":{ "a" : [ 1 , 2 ] , "b" : {} }}]}}`,
	`{"id":1,"dp":{"a":[{"v":0},{"v":-0.5E+2},{"v":1e-3}],"b":[{"v":""}]}}`,
}

// Uploads the scanner leaves to ParseDPPost although it accepts them.
var scanDeclines = []string{
	`{"id":5,"id":6,"dp":{"a":[{"v":1}]}}`,               // "id" twice
	`{"\u0069d":5,"dp":{"a":[{"v":1}]}}`,                 // an escaped member name
	`{"id":5,"dp":{"a":[{"v":1,"v":2}]}}`,                // "v" twice
	`{"id":5,"dp":{"a":[{"v":1}]},"dp":{"b":[{"v":1}]}}`, // "dp" twice
	`{"id":5,"dp":{"a":[{"v":1}]},"x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
}

// Uploads ParseDPPost refuses, one or more per rule (codes_test.go has
// their messages).
var dpRefused = []string{
	``, ` `, `[]`, `{"id":1,"dp":{"a":[{"v":1}]}} x`, `{"id":1,"dp":{"a":[{"v":1}],}}`,
	`{"dp":{"temp":[{"v":30}]}}`,
	`{"id":"123","dp":{"temp":[{"v":30}]}}`,
	`{"id":1.5,"dp":{"temp":[{"v":30}]}}`,
	`{"id":1e3,"dp":{"temp":[{"v":30}]}}`,
	`{"id":0,"dp":{"temp":[{"v":30}]}}`,
	`{"id":-5,"dp":{"temp":[{"v":30}]}}`,
	`{"id":-0,"dp":{"temp":[{"v":30}]}}`,
	`{"id":2147483648,"dp":{"temp":[{"v":30}]}}`,
	`{"id":99999999999999999999,"dp":{"temp":[{"v":30}]}}`,
	`{"id":1}`,
	`{"id":1,"dp":[{"temp":30}]}`,
	`{"id":1,"dp":{}}`,
	`{"id":1,"dp":{"temp-1":[{"v":30}]}}`,
	`{"id":1,"dp":{"温度":[{"v":30}]}}`,
	`{"id":1,"dp":{"":[{"v":30}]}}`,
	`{"id":1,"dp":{"$":[{"v":30}]}}`,
	`{"id":1,"dp":{"a$":[{"v":30}]}}`,
	`{"id":1,"dp":{"` + strings.Repeat("a", 31) + `":[{"v":30}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30}],"temp":[{"v":31}]}}`,
	`{"id":1,"dp":{"temp":{"v":30}}}`,
	`{"id":1,"dp":{"temp":30}}`,
	`{"id":1,"dp":{"temp":[]}}`,
	`{"id":1,"dp":{"temp":[{"v":1},30]}}`,
	`{"id":1,"dp":{"temp":[{"value":30}]}}`,
	`{"id":1,"dp":{"temp":[{"v":[1,2]}]}}`,
	`{"id":1,"dp":{"temp":[{"v":null}]}}`,
	`{"id":1,"dp":{"temp":[{"v":false}]}}`,
	`{"id":1,"dp":{"o":[{"v":{"a":{"b":{"c":{"d":{"e":{}}}}}}}]}}`,
	`{"id":1,"dp":{"o":[{"v":{"a":[[[[[1]]]]]}}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30,"t":"1552289676"}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30,"t":1552289676.5}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30,"t":1552289676000}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30,"t":-1}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30,"t":0}]}}`,
	`{"id":1,"dp":{"temp":[{"v":30,"t":99999999999999999999}]}}`,
	`{"id":1,"dp":{"temp":[{"v":"a\x"}]}}`,
	`{"id":1,"dp":{"temp":[{"v":"\ud83d\u12"}]}}`,
	"{\"id\":1,\"dp\":{\"temp\":[{\"v\":\"\xff\"}]}}",
	"{\"id\":1,\"dp\":{\"temp\":[{\"v\":\"a\nb\"}]}}",
	`{"id":1,"dp":{"temp":[{"v":01}]}}`,
	`{"id":1,"dp":{"temp":[{"v":1.}]}}`,
	`{"id":1,"dp":{"temp":[{"v":1e}]}}`,
	`{"id":1,"dp":{"temp":[{"v":1x}]}}`,
	`{"id":1,"dp":{"temp":[{"v":1}],"x":tru}}`,
	`{"id":1,"dp":{"temp":[{"v":1}],"x":truex}}`,
	`{"id":1,"dp":{"temp":[{"v":1}],"x":[1,]}}`,
	`{"id":1,"dp":{"temp":[{"v":1}]} // comment`,
	`{'id':1,"dp":{"temp":[{"v":1}]}}`,
}

func TestScanDPPost(t *testing.T) {
	for _, in := range scanAccepts {
		if !compareScan(t, []byte(in)) {
			t.Errorf("ScanDPPost(%q) = false; it should read it", in)
		}
	}
	for _, in := range scanDeclines {
		if compareScan(t, []byte(in)) {
			t.Errorf("ScanDPPost(%q) = true; it should leave it to ParseDPPost", in)
		}
		if _, err := ParseDPPost([]byte(in)); err != nil {
			t.Errorf("ParseDPPost(%q) = %v; the case is meant to be accepted", in, err)
		}
	}
	// Refused uploads, one per rule, and the JSON cases.
	for _, in := range dpRefused {
		if compareScan(t, []byte(in)) {
			t.Errorf("ScanDPPost(%q) = true", in)
		}
		if _, err := ParseDPPost([]byte(in)); err == nil {
			t.Errorf("ParseDPPost(%q) = nil; the case is meant to be refused", in)
		}
	}
	for _, tc := range jsonCases {
		compareScan(t, []byte(tc.in))
	}
	// Every way of cutting a well-formed upload short, and of changing one
	// of its bytes.
	for _, in := range scanAccepts {
		for i := range len(in) {
			compareScan(t, []byte(in[:i]))
			for _, c := range []byte(" \"{}[],:0-.eEatx\\\x00\xff") {
				b := []byte(in)
				b[i] = c
				compareScan(t, b)
			}
		}
	}
	// The scanner's limits: 64 datastreams and 1,024 points are read, one
	// more is left to ParseDPPost.
	for _, n := range []int{maxScanStreams, maxScanStreams + 1} {
		var b strings.Builder
		b.WriteString(`{"id":1,"dp":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"s` + itoa(i) + `":[{"v":1}]`)
		}
		b.WriteString(`}}`)
		if got := compareScan(t, []byte(b.String())); got != (n == maxScanStreams) {
			t.Errorf("%d datastreams: ScanDPPost = %v", n, got)
		}
	}
	for _, n := range []int{maxScanPoints, maxScanPoints + 1} {
		in := `{"id":1,"dp":{"a":[` + strings.Repeat(`{"v":1},`, n-1) + `{"v":1}]}}`
		if got := compareScan(t, []byte(in)); got != (n == maxScanPoints) {
			t.Errorf("%d datapoints: ScanDPPost = %v", n, got)
		}
	}
}

// A DPScan is reused: a refused upload leaves no points behind, and a
// shorter one after a longer one has only its own.
func TestScanDPPostReuse(t *testing.T) {
	var s DPScan
	if !ScanDPPost([]byte(`{"id":1,"dp":{"a":[{"v":1},{"v":2}],"b":[{"v":3}]}}`), &s) || len(s.Points) != 3 {
		t.Fatalf("first upload: %v %+v", s.ID, s.Points)
	}
	if ScanDPPost([]byte(`{"id":1,"dp":{"a":[{"v":1},{"v":[2]}]}}`), &s) || len(s.Points) != 0 {
		t.Fatalf("a refused upload left %+v", s.Points)
	}
	if !ScanDPPost([]byte(`{"id":9,"dp":{"c":[{"v":"x"}]}}`), &s) || s.ID != 9 || len(s.Points) != 1 || string(s.Points[0].Stream) != "c" {
		t.Fatalf("third upload: %v %+v", s.ID, s.Points)
	}
}

func FuzzScanDPPost(f *testing.F) {
	for _, in := range append(append([]string{}, scanAccepts...), scanDeclines...) {
		f.Add(in)
	}
	for _, in := range dpRefused {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		compareScan(t, []byte(payload))
	})
}

var benchUpload = []byte(`{"id":1,"dp":{"temperature":[{"v":23.5}],"humidity":[{"v":61}]}}`)

// BenchmarkScanDPPost and BenchmarkParseDPPost read the broker
// benchmark's upload (docs/BENCHMARKS.md).
func BenchmarkScanDPPost(b *testing.B) {
	var s DPScan
	b.ReportAllocs()
	b.SetBytes(int64(len(benchUpload)))
	for b.Loop() {
		if !ScanDPPost(benchUpload, &s) {
			b.Fatal("refused")
		}
	}
}

func BenchmarkParseDPPost(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchUpload)))
	for b.Loop() {
		if _, err := ParseDPPost(benchUpload); err != nil {
			b.Fatal(err)
		}
	}
}
