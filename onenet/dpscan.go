package onenet

import "unicode/utf8"

// DPScan is a datapoint upload read by ScanDPPost. It is meant to be kept
// and reused: ScanDPPost reuses Points.
type DPScan struct {
	ID     int64          // the message id, 1…MaxDPID
	Points []ScannedPoint // in payload order; a datastream's points are adjacent
}

// A ScannedPoint is one datapoint of a DPScan. Stream and V are slices of
// the payload, valid while it is.
type ScannedPoint struct {
	Stream []byte // the datastream id as written (the scanner takes no escaped id)
	V      []byte // the value as written: a number, a string or an object
	T      int64  // Unix seconds; 0 when absent
}

// What ScanDPPost leaves to ParseDPPost: uploads with more datastreams or
// datapoints than this, or nested deeper anywhere.
const (
	maxScanStreams = 64
	maxScanPoints  = 1024
	maxScanDepth   = 64
)

// ScanDPPost reads a well-formed datapoint upload (docs/PROTOCOL.md §7) in
// one pass, without building a tree or allocating (s.Points grows only
// beyond its capacity). It reports true only for an upload ParseDPPost
// accepts, and then s holds the same id and datapoints, in payload order.
// It reports false for every upload ParseDPPost refuses, and also for some
// it accepts, to keep the scanner simple: an escape in a member name, a
// member "id", "dp", "v" or "t" given twice, more than 64 datastreams or
// 1,024 datapoints, nesting deeper than 64 levels. A caller that gets false
// calls ParseDPPost, which decides and explains.
func ScanDPPost(b []byte, s *DPScan) bool {
	s.ID = 0
	s.Points = s.Points[:0]
	sc := dpScanner{src: b}
	if !sc.upload(s) {
		clear(s.Points)
		s.Points = s.Points[:0]
		return false
	}
	return true
}

// dpScanner reads src; every method takes the offset to read at and
// returns the offset after what it read, or -1 when the input is outside
// what it accepts.
type dpScanner struct {
	src []byte
}

func (sc *dpScanner) space(i int) int {
	for i < len(sc.src) {
		switch sc.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// upload reads the whole payload: one object, with white space around it.
func (sc *dpScanner) upload(s *DPScan) bool {
	src := sc.src
	i := sc.space(0)
	if i >= len(src) || src[i] != '{' {
		return false
	}
	var haveID, haveDP bool
	i, ok := sc.members(i, func(name []byte, at int) int {
		switch string(name) {
		case "id":
			if haveID {
				return -1
			}
			haveID = true
			end, n := sc.uint(at, MaxDPID)
			s.ID = n
			return end
		case "dp":
			if haveDP {
				return -1
			}
			haveDP = true
			return sc.streams(at, s)
		}
		end, _ := sc.value(at, 2)
		return end
	})
	if !ok || !haveID || !haveDP {
		return false
	}
	return sc.space(i) == len(src)
}

// members reads the object at src[i] ('{'), calling member for each member
// with its name and the offset of its value; member returns the offset
// after the value, or -1. It returns the offset after the '}'.
func (sc *dpScanner) members(i int, member func(name []byte, at int) int) (int, bool) {
	src := sc.src
	i = sc.space(i + 1)
	if i < len(src) && src[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return -1, false
		}
		end, esc := sc.str(i)
		if end < 0 || esc {
			return -1, false
		}
		name := src[i+1 : end-1]
		i = sc.space(end)
		if i >= len(src) || src[i] != ':' {
			return -1, false
		}
		i = member(name, sc.space(i+1))
		if i < 0 {
			return -1, false
		}
		i = sc.space(i)
		if i >= len(src) {
			return -1, false
		}
		switch src[i] {
		case ',':
			i = sc.space(i + 1)
		case '}':
			return i + 1, true
		default:
			return -1, false
		}
	}
}

// streams reads "dp": a non-empty object of datastreams, each a non-empty
// array of datapoints.
func (sc *dpScanner) streams(i int, s *DPScan) int {
	src := sc.src
	if i >= len(src) || src[i] != '{' {
		return -1
	}
	first := len(s.Points)
	nstreams := 0
	end, ok := sc.members(i, func(name []byte, at int) int {
		if !streamName(name) {
			return -1
		}
		nstreams++
		if nstreams > maxScanStreams {
			return -1
		}
		for j := first; j < len(s.Points); j++ {
			if string(s.Points[j].Stream) == string(name) {
				return -1 // given twice: ParseDPPost explains
			}
		}
		return sc.points(at, name, s)
	})
	if !ok || nstreams == 0 {
		return -1
	}
	return end
}

// streamName checks a datastream id as checkStreamName does.
func streamName(name []byte) bool {
	if len(name) > 0 && name[0] == '$' {
		name = name[1:]
	}
	if len(name) == 0 || len(name) > MaxStreamIDLen {
		return false
	}
	for _, c := range name {
		if !isStreamByte(c) {
			return false
		}
	}
	return true
}

// points reads a datastream's array of datapoints {"v":…,"t":…}.
func (sc *dpScanner) points(i int, stream []byte, s *DPScan) int {
	src := sc.src
	if i >= len(src) || src[i] != '[' {
		return -1
	}
	i = sc.space(i + 1)
	if i < len(src) && src[i] == ']' {
		return -1 // no datapoints
	}
	for {
		if i >= len(src) || src[i] != '{' || len(s.Points) >= maxScanPoints {
			return -1
		}
		p := ScannedPoint{Stream: stream}
		var haveV, haveT bool
		end, ok := sc.members(i, func(name []byte, at int) int {
			switch string(name) {
			case "v":
				if haveV {
					return -1
				}
				haveV = true
				end, depth := sc.value(at, 4)
				if end < 0 {
					return -1
				}
				switch src[at] {
				case '{':
					if depth > MaxDPValueDepth {
						return -1
					}
				case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				default:
					return -1 // an array, true, false or null
				}
				p.V = src[at:end]
				return end
			case "t":
				if haveT {
					return -1
				}
				haveT = true
				end, n := sc.uint(at, millis-1)
				p.T = n
				return end
			}
			end, _ := sc.value(at, 4)
			return end
		})
		if !ok || !haveV {
			return -1
		}
		s.Points = append(s.Points, p)
		i = sc.space(end)
		if i >= len(src) {
			return -1
		}
		switch src[i] {
		case ',':
			i = sc.space(i + 1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// uint reads a JSON number that is an integer from 1 to max, written
// without sign, fraction or exponent.
func (sc *dpScanner) uint(i int, max int64) (int, int64) {
	end, integer := sc.number(i)
	if end < 0 || !integer || sc.src[i] == '-' || end-i > 18 {
		return -1, 0
	}
	var n int64
	for _, c := range sc.src[i:end] {
		n = n*10 + int64(c-'0')
	}
	if n < 1 || n > max {
		return -1, 0
	}
	return end, n
}

// number reads a JSON number (RFC 8259 §6) that no letter, digit or '.'
// follows; integer is false if it has a fraction or an exponent.
func (sc *dpScanner) number(i int) (end int, integer bool) {
	src := sc.src
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && isDigit(src[i]):
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	default:
		return -1, false
	}
	integer = true
	if i < len(src) && src[i] == '.' {
		integer = false
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return -1, false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		integer = false
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return -1, false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (isIdentByte(src[i]) || src[i] == '.') {
		return -1, false
	}
	return i, integer
}

// str reads a JSON string at src[i] ('"'): valid UTF-8, no control
// character, valid escapes. esc tells whether it has an escape.
func (sc *dpScanner) str(i int) (end int, esc bool) {
	src := sc.src
	i++
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			return i + 1, esc
		case c < 0x20:
			return -1, false
		case c == '\\':
			esc = true
			if i+1 >= len(src) {
				return -1, false
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n == 1 {
				return -1, false
			}
			i += n
		}
	}
	return -1, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// value reads any JSON value at src[i], nested in depth containers, and
// returns its own nesting (0 for a scalar, 1 for an object or array of
// scalars), as jvalue.depth counts it.
func (sc *dpScanner) value(i, depth int) (end, nest int) {
	src := sc.src
	if i >= len(src) {
		return -1, 0
	}
	switch c := src[i]; {
	case c == '"':
		end, _ := sc.str(i)
		return end, 0
	case c == '-' || isDigit(c):
		end, _ := sc.number(i)
		return end, 0
	case c == 't':
		return sc.literal(i, "true"), 0
	case c == 'f':
		return sc.literal(i, "false"), 0
	case c == 'n':
		return sc.literal(i, "null"), 0
	case c == '{' || c == '[':
		if depth >= maxScanDepth {
			return -1, 0
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = sc.space(i + 1)
		if i < len(src) && src[i] == closer {
			return i + 1, 1
		}
		inner := 0
		for {
			if c == '{' {
				if i >= len(src) || src[i] != '"' {
					return -1, 0
				}
				if i, _ = sc.str(i); i < 0 {
					return -1, 0
				}
				i = sc.space(i)
				if i >= len(src) || src[i] != ':' {
					return -1, 0
				}
				i = sc.space(i + 1)
			}
			end, n := sc.value(i, depth+1)
			if end < 0 {
				return -1, 0
			}
			inner = max(inner, n)
			i = sc.space(end)
			if i >= len(src) {
				return -1, 0
			}
			switch src[i] {
			case ',':
				i = sc.space(i + 1)
			case closer:
				return i + 1, inner + 1
			default:
				return -1, 0
			}
		}
	}
	return -1, 0
}

// literal reads true, false or null, which no letter, digit or '_'
// follows.
func (sc *dpScanner) literal(i int, word string) int {
	src := sc.src
	if len(src)-i < len(word) || string(src[i:i+len(word)]) != word {
		return -1
	}
	i += len(word)
	if i < len(src) && isIdentByte(src[i]) {
		return -1
	}
	return i
}
