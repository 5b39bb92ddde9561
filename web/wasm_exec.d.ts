// What web/wasm_exec.js (Go's, copied from the toolchain by make wasm)
// defines, for tsc: the file is generated, and checked by Go's own tests.
declare class Go {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
  exited: boolean;
  mem: DataView;
}
