//! Bad input and usage errors: a clear message, the right exit code, nothing lost.
