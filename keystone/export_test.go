package keystone

// Hooks into the unexported state for the package's external tests.

func CacheLen(v *Validator) int    { return v.valid.len() }
func RejectedLen(v *Validator) int { return v.rejected.len() }
