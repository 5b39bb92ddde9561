// What web/wasm_exec.js (Go's, copied from the toolchain by make wasm)
// defines for the page's modules.
declare class Go {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
  exited: boolean;
  mem: DataView;
}
