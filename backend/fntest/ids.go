package fntest

import "time"

// crockford is the base32 alphabet of ULIDs.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idSource makes 26-character ULID-like ids: 10 characters of millisecond
// time and 16 of a counter, so ids are unique and sort by creation.
type idSource struct{ counter uint64 }

func (s *idSource) next(now time.Time) string {
	s.counter++
	var b [26]byte
	encodeBase32(b[:10], uint64(now.UnixMilli()))
	encodeBase32(b[10:], s.counter)
	return string(b[:])
}

// encodeBase32 writes v right-aligned into dst, zero-padded.
func encodeBase32(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = crockford[v&31]
		v >>= 5
	}
}
