// Writing mmcheck's outputs: files (--trace, --junit, --traces, --html) and stdout. A regular
// file is written to a temporary name in its own directory, flushed, checked and renamed over
// the target, so that a reader never sees it half written and two writers of one path leave one
// complete file. A target that is not a regular file (/dev/stdout, /dev/full, a FIFO) is written
// in place, every write checked. A write that fails is reported, never ignored: the command still
// prints its verdict and exits kExitOutput (the README's "Using it").
#pragma once

#include <optional>
#include <string>

namespace mmcheck::run {

// Writes `text` to `path`; returns the reason on failure ("cannot write x: No space left on
// device"), nothing on success.
std::optional<std::string> write_output_file(const std::string& path, const std::string& text);

// Whether `path` can be an output file at all: its directory exists and it is not a directory.
// Checked before a run, so that a path that can never be written is bad usage (exit 2) before
// anything is explored; returns the reason when it cannot.
std::optional<std::string> unusable_output_path(const std::string& path);

// Whether `dir` can hold checkpoints: it is a directory, or can be made one, and it is writable.
// Makes it when missing; returns the reason when it cannot.
std::optional<std::string> unusable_checkpoint_dir(const std::string& dir);

// Flushes stdout (C and C++ streams); returns the reason when anything written to it was lost.
std::optional<std::string> flush_stdout();

}  // namespace mmcheck::run
