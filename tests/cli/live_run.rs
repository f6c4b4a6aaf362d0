//! Live runs on the mock provider: lanes, retries, output order, resume and interruption.
