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

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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
	csv    map[string]map[string][]jsontext.Value
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
	if err := json.Unmarshal(data, &f, json.RejectUnknownMembers(true)); err != nil {
		return nil, &Error{name, []Problem{jsonProblem(data, err)}}
	}
	s := &Scenario{File: f, csv: map[string]map[string][]jsontext.Value{}}
	c := &checker{s: s, fsys: fsys}
	c.file()
	if len(c.problems) > 0 {
		return nil, &Error{name, c.problems}
	}
	return s, nil
}

// jsonProblem turns a decoding error into a Problem at the path it names.
func jsonProblem(data []byte, err error) Problem {
	var se *json.SemanticError
	var sy *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		p := pointerPath(string(se.JSONPointer))
		msg := "wrong type"
		if se.JSONKind != 0 && se.GoType != nil {
			msg = fmt.Sprintf("%s where %s is expected", kindName(se.JSONKind), goTypeName(se.GoType.String()))
		}
		if se.Err != nil {
			msg = se.Err.Error()
			if strings.Contains(msg, "unknown object member name") {
				msg = "unknown member (docs/SCENARIOS.md lists the members of each object)"
			}
		}
		return Problem{p, msg}
	case errors.As(err, &sy):
		line, col := position(data, int(sy.ByteOffset))
		return Problem{pointerPath(string(sy.JSONPointer)), fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, sy.Err)}
	}
	return Problem{"", err.Error()}
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a value"
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "float"), strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), t == "*int", t == "*float64", t == "*uint64":
		return "a number"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return "an object"
}

// pointerPath turns a JSON pointer ("/devices/2/publish/0/every") into a
// path ("devices[2].publish[0].every").
func pointerPath(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
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
func loadCSV(fsys fs.FS, name string) (map[string][]jsontext.Value, error) {
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
	cols := map[string][]jsontext.Value{}
	for i, h := range rows[0] {
		h = strings.TrimSpace(h)
		var vals []jsontext.Value
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

func cellValue(s string) jsontext.Value {
	t := strings.TrimSpace(s)
	if x, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXpP_") && !strings.EqualFold(t, "nan") && !strings.Contains(strings.ToLower(t), "inf") {
		return jsontext.Value(strconv.FormatFloat(x, 'g', -1, 64))
	}
	v, _ := jsontext.AppendQuote(nil, s)
	return v
}
