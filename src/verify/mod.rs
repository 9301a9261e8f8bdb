//! Verification support shared by the test suites, the fuzz targets and the report: not part of
//! the public API, no stability promise. Always compiled, std only, so every checker (shuttle,
//! real threads, loom, fuzzing) uses the same code.

pub mod lincheck;
