package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// The streamed envelope string must be exactly what encoding/json makes
// of the same output, however the output is cut into reads: UTF-8
// sequences split across chunks, invalid bytes, controls, HTML characters
// and U+2028 included.
func TestStreamedJSONStringMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := [][]byte{
		{0}, {'"'}, {'\\'}, {'\n'}, {'\r'}, {'\t'}, {0x1f}, {'<'}, {'>'}, {'&'}, {'a'},
		[]byte("é"), []byte("€"), []byte("𝄞"), []byte("\u2028"), []byte("\u2029"),
		{0xff}, {0xe2, 0x82}, {0xc3}, {0x80},
	}
	inputs := [][]byte{nil, bytes.Repeat([]byte("€"), envelopeChunk)}
	random := 300
	if raceEnabled {
		random = 30
	}
	for range random {
		var b []byte
		for range rng.IntN(3 * envelopeChunk / 2) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		inputs = append(inputs, b)
	}
	for i, in := range inputs {
		want, _ := json.Marshal(string(in))
		readers := map[string]io.Reader{
			"whole":  bytes.NewReader(in),
			"halves": iotest.HalfReader(bytes.NewReader(in)),
		}
		if len(in) < 4096 {
			readers["one byte"] = iotest.OneByteReader(bytes.NewReader(in))
		}
		for name, r := range readers {
			var got bytes.Buffer
			got.WriteByte('"')
			bufs := envelopeBuffers.Get().(*envelopeBuffer)
			err := streamJSONString(&got, r, bufs, 0)
			envelopeBuffers.Put(bufs)
			got.WriteByte('"')
			if err != nil || !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("input %d (%s reads): err %v\ngot  %q\nwant %q", i, name, err, got.Bytes(), want)
			}
		}
	}
}
