// Package scenario reads scenario files and runs them: simulated OneNET
// devices that publish on a schedule, answer the platform's requests and
// rehearse faults (docs/SCENARIOS.md; the JSON Schema is
// docs/scenario.schema.json).
//
//   - file.go: the file's types (File, Device, Publish, Generator, Answers, Fault)
//   - parse.go, check.go: Parse, with every problem named by its path
//     (*Error, Problem); OneNET's rates (docs/PROTOCOL.md §5.6, §5.7)
//   - gen.go, anyvalue.go: the value generators, AnyValue from a thing model
//   - run.go: Runner, which drives each device with an mqttws client
//   - stats.go: Report, the counts and latency percentiles
//
// The package reads no file, environment variable, network or clock of its
// own choosing: Parse takes the scenario's files as an fs.FS, and a Runner
// takes the connections, the keys, the seed and the clock in Options.
// Package simnet gives them natively.
package scenario
