package scenario

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"encoding/json"
	"reflect"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// Bounds on what a scenario file may make the package hold.
const (
	MaxFileSize   = 1 << 20 // bytes of a scenario file
	MaxDevices    = 10000   // devices of a scenario, templates multiplied
	MaxSchedules  = 20      // publishing schedules of a device
	MaxValues     = 100     // generators of a schedule
	MaxFaults     = 20      // faults of a device
	MaxCSVSize    = 4 << 20 // bytes of a CSV file
	MaxDelay      = 3600    // seconds an answer may be delayed or a device stay offline
	MaxPeriod     = 86400   // seconds of a schedule or a sine period
	MaxDuration   = 30 * 86400
	minEvery      = 0.01 // seconds; with limits on, OneNET's rate decides
	maxDecimals   = 10
	maxProblems   = 50 // problems reported at once
	numberPattern = "{n}"
)

// A Problem is one thing wrong in a scenario file, at Path (e.g.
// "devices[2].publish[0].every").
type Problem struct {
	Path string
	Msg  string
}

// String returns the problem as "path: message", or the message alone when
// it concerns the whole file (Path empty).
func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// An Error lists what is wrong in a scenario file, each Problem with its
// path.
type Error struct {
	Name     string // the file's name, as given to Parse
	Problems []Problem
}

// Error returns "scenario NAME: " (NAME left out when empty) and every
// problem, separated by "; ".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scenario")
	if e.Name != "" {
		b.WriteString(" " + e.Name)
	}
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// A Scenario is a checked scenario file with the files it refers to
// (thing models, CSV files) loaded.
type Scenario struct {
	File   File
	models []*onenet.ThingModel // by device entry; nil without one
	csv    map[string]map[string][]json.RawMessage
}

// Parse reads and checks a scenario file. name is used in errors; fsys
// holds the files the scenario names (thing models, CSV files, key files
// are read by the caller), relative to the scenario file: os.DirFS of its
// directory natively, the files a user opened in a page. fsys may be nil
// when the scenario names none. Every problem is reported with its path
// in an *Error.
func Parse(name string, data []byte, fsys fs.FS) (*Scenario, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{name, []Problem{{"", fmt.Sprintf("the file is %d bytes; at most %d are read", len(data), MaxFileSize)}}}
	}
	var f File
	if p, ok := decode(data, &f); !ok {
		return nil, &Error{name, p}
	}
	s := &Scenario{File: f, csv: map[string]map[string][]json.RawMessage{}}
	c := &checker{s: s, fsys: fsys}
	c.file()
	if len(c.problems) > 0 {
		return nil, &Error{name, c.problems}
	}
	return s, nil
}

// decode reads data into f. The file is read twice: as JSON values, which
// are checked against the types of File so that every unknown member and
// every value of the wrong type is reported with its path, then into f.
func decode(data []byte, f *File) ([]Problem, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = &json.SyntaxError{Offset: dec.InputOffset()}
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(data, int(se.Offset))
			return []Problem{{"", fmt.Sprintf("not valid JSON at line %d, column %d", line, col)}}, false
		}
		return []Problem{{"", "not valid JSON: " + err.Error()}}, false
	}
	var problems []Problem
	shape("", v, reflect.TypeOf(*f), func(path, msg string) {
		if len(problems) < maxProblems {
			problems = append(problems, Problem{path, msg})
		}
	})
	if len(problems) > 0 {
		return problems, false
	}
	if err := json.Unmarshal(data, f); err != nil {
		return []Problem{{"", err.Error()}}, false
	}
	return nil, true
}

var rawType = reflect.TypeOf(json.RawMessage(nil))

// shape checks a decoded JSON value v against the Go type t of the file's
// types, calling add for each problem with its path.
func shape(path string, v any, t reflect.Type, add func(path, msg string)) {
	if t == rawType || v == nil {
		return // any JSON value; null leaves the zero value
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := func(want string) { add(path, kindName(v)+" where "+want+" is expected") }
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			wrong("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			wrong("true or false")
		}
	case reflect.Int, reflect.Int64, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			wrong("a number")
		} else if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			add(path, string(n)+" is not a whole number")
		}
	case reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			wrong("a number")
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			wrong("an array")
			return
		}
		for i, e := range l {
			shape(fmt.Sprintf("%s[%d]", path, i), e, t.Elem(), add)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		for _, k := range sortedKeys(m) {
			shape(join(path, k), m[k], t.Elem(), add)
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		for _, k := range sortedKeys(m) {
			ft, found := memberType(t, k)
			if !found {
				add(join(path, k), "unknown member (docs/SCENARIOS.md lists the members of each object)")
				continue
			}
			shape(join(path, k), m[k], ft, add)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// memberType finds the field of t whose JSON name is name.
func memberType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f.Type, true
		}
	}
	return nil, false
}

func kindName(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "a value"
}

func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// readFile reads a file the scenario names, at most limit bytes.
func readFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	if fsys == nil {
		return nil, errors.New("no files were given with the scenario")
	}
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	if !fs.ValidPath(clean) {
		return nil, fmt.Errorf("%q: give a path inside the scenario's folder", name)
	}
	f, err := fsys.Open(clean)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%q is over %d bytes", name, limit)
	}
	return b, nil
}

// loadCSV reads a CSV file with a header row into its columns, each cell
// as a JSON value (a number when it is one, else a string).
func loadCSV(fsys fs.FS, name string) (map[string][]json.RawMessage, error) {
	b, err := readFile(fsys, name, MaxCSVSize)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%q has no rows under its header", name)
	}
	cols := map[string][]json.RawMessage{}
	for i, h := range rows[0] {
		h = strings.TrimSpace(h)
		var vals []json.RawMessage
		for _, row := range rows[1:] {
			if i >= len(row) {
				continue
			}
			vals = append(vals, cellValue(row[i]))
		}
		cols[h] = vals
	}
	return cols, nil
}

func cellValue(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if x, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXpP_") && !strings.EqualFold(t, "nan") && !strings.Contains(strings.ToLower(t), "inf") {
		return json.RawMessage(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return appendQuote(nil, s)
}

// appendQuote appends s as a JSON string.
func appendQuote(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
