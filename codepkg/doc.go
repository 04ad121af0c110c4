// Package codepkg checks and unpacks uploaded function packages: zip and
// tar.gz archives and single source files. Check walks a package the way
// Unpack does, without writing anything, so that a hostile package is
// refused before any of it is stored; Unpack applies the same checks
// again while it writes, into a fresh directory that the caller renames
// into place. Every refusal is a picasso EINVALID error naming the problem.
//
// The limits (Limits, DefaultLimits) bound the compressed size, the
// unpacked size, the ratio between the two and the number of entries.
// Sizes are counted from the bytes actually decompressed, never from what
// the archive's headers claim, and the walk stops at the first byte over
// a limit: a zip bomb is refused while it is being unpacked, not after.
package codepkg
