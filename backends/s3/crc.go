package s3

import "hash/crc32"

// A full-object CRC32C of a multipart upload is the CRC of all its bytes
// in order. The parts are checksummed concurrently as they upload, so the
// whole object's CRC is put together from theirs at the end instead of
// reading every byte a second time: crc(A‖B) is crc(A) carried through
// len(B) zero bytes, xor crc(B). (The pre- and post-inversion of the
// standard CRC cancel out in that identity.)
//
// "Carry the register through one zero byte" is linear over GF(2), a
// 32x32 bit matrix; through n bytes it is that matrix to the n-th power,
// applied by square-and-multiply from the powers of two below.

// gf2Matrix is a linear map on 32-bit vectors: column i is the image of
// bit i.
type gf2Matrix [32]uint32

func (m *gf2Matrix) apply(v uint32) uint32 {
	var out uint32
	for i := 0; v != 0; i, v = i+1, v>>1 {
		if v&1 != 0 {
			out ^= m[i]
		}
	}
	return out
}

func (m *gf2Matrix) times(n *gf2Matrix) gf2Matrix {
	var out gf2Matrix
	for i := range out {
		out[i] = m.apply(n[i])
	}
	return out
}

// zeroPowers[k] carries a CRC32C register through 2^k zero bytes.
var zeroPowers = func() [64]gf2Matrix {
	// One zero bit shifts the (bit-reflected) register right by one and
	// folds the polynomial in when a one falls off.
	var bit gf2Matrix
	bit[0] = crc32.Castagnoli
	for i := 1; i < 32; i++ {
		bit[i] = 1 << (i - 1)
	}
	m := bit
	for range 3 { // 8 bits: one byte
		m = m.times(&m)
	}
	var p [64]gf2Matrix
	for k := range p {
		p[k] = m
		m = m.times(&m)
	}
	return p
}()

// crc32cCombine returns the CRC32C of A‖B from crc(A), crc(B) and len(B).
func crc32cCombine(crcA, crcB uint32, lenB int64) uint32 {
	for k := 0; lenB > 0; k, lenB = k+1, lenB>>1 {
		if lenB&1 != 0 {
			crcA = zeroPowers[k].apply(crcA)
		}
	}
	return crcA ^ crcB
}
