package review

import (
	"bytes"
	"encoding/binary"
	"image"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// withExif puts an APP1 Exif segment carrying DateTimeOriginal (in an
// Exif IFD, as cameras write it) right after the JPEG's SOI marker.
func withExif(t *testing.T, jpeg []byte, when string, order binary.ByteOrder) []byte {
	t.Helper()
	var tiff bytes.Buffer
	if order == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	w := func(v any) { binary.Write(&tiff, order, v) }
	w(uint16(42))
	w(uint32(8)) // IFD0 at 8
	// IFD0: one entry, the Exif IFD pointer.
	w(uint16(1))
	w(uint16(0x8769))
	w(uint16(4))
	w(uint32(1))
	w(uint32(8 + 2 + 12 + 4)) // the Exif IFD follows IFD0
	w(uint32(0))
	// Exif IFD: DateTimeOriginal, 20 ASCII bytes stored after the IFD.
	valueAt := uint32(8 + 2 + 12 + 4 + 2 + 12 + 4)
	w(uint16(1))
	w(uint16(0x9003))
	w(uint16(2))
	w(uint32(20))
	w(valueAt)
	w(uint32(0))
	tiff.WriteString(when + "\x00")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpeg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpeg[2:])
	return out.Bytes()
}

func TestExifTime(t *testing.T) {
	plain := jpegOf(t, scene(1, 64, 48), 80)
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		photo := withExif(t, plain, "2026:11:03 09:41:07", order)
		got, err := ExifTime(photo)
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		if want := time.Date(2026, 11, 3, 9, 41, 7, 0, clock.China); !got.Equal(want) {
			t.Errorf("%v: ExifTime = %v, want %v", order, got, want)
		}
		// The photo still decodes and hashes like the one without EXIF.
		if _, _, err := image.Decode(bytes.NewReader(photo)); err != nil {
			t.Fatalf("the photo with EXIF does not decode: %v", err)
		}
	}
	if _, err := ExifTime(plain); err == nil {
		t.Error("a JPEG without EXIF gave a time")
	}
	// Truncated and crafted data give no time and no panic.
	photo := withExif(t, plain, "2026:11:03 09:41:07", binary.LittleEndian)
	for n := range 80 {
		_, _ = ExifTime(photo[:n])
	}
	if _, err := ExifTime([]byte("GIF89a")); err == nil {
		t.Error("a GIF gave a time")
	}
}

func FuzzExifTime(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ExifTime(b) })
}
