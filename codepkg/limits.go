package codepkg

// Limits bound what a package may hold.
type Limits struct {
	// MaxCompressed bounds the upload itself, in bytes.
	MaxCompressed int64
	// MaxUnpacked bounds the sum of the unpacked files' sizes.
	MaxUnpacked int64
	// MaxFiles bounds the number of entries (files, directories, links).
	MaxFiles int
	// MaxRatio bounds unpacked bytes per compressed byte, once the
	// unpacked size passes RatioFloor.
	MaxRatio int64
	// RatioFloor is the unpacked size below which the ratio is not
	// checked: a tiny archive of text legitimately compresses well.
	RatioFloor int64
}

// DefaultLimits are the documented limits of docs/packages.md.
func DefaultLimits() Limits {
	return Limits{
		MaxCompressed: 50 << 20,
		MaxUnpacked:   250 << 20,
		MaxFiles:      5000,
		MaxRatio:      100,
		RatioFloor:    16 << 20,
	}
}
