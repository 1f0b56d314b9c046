package review

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// errNoExifTime means the photo carries no usable capture time: most
// photos sent through WeChat do not (it strips EXIF unless the original is
// sent), and that is not suspicious.
var errNoExifTime = errors.New("no exif capture time")

// ExifTime reads a JPEG's capture time (DateTimeOriginal, else DateTime)
// from its EXIF block. EXIF times carry no zone; a phone in China writes
// China time. It reads only the few structures it needs and bounds every
// offset, so a crafted file cannot make it read outside the data.
func ExifTime(jpeg []byte) (time.Time, error) {
	tiff, err := exifSegment(jpeg)
	if err != nil {
		return time.Time{}, err
	}
	if len(tiff) < 8 {
		return time.Time{}, errNoExifTime
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return time.Time{}, errNoExifTime
	}
	ifd0 := order.Uint32(tiff[4:8])
	var dateTime, original string
	var exifIFD uint32
	walkIFD(tiff, order, ifd0, func(tag uint16, typ uint16, count, value uint32) {
		switch tag {
		case 0x0132: // DateTime
			dateTime = asciiAt(tiff, typ, count, value)
		case 0x8769: // ExifIFD pointer
			exifIFD = value
		}
	})
	if exifIFD != 0 {
		walkIFD(tiff, order, exifIFD, func(tag uint16, typ uint16, count, value uint32) {
			if tag == 0x9003 { // DateTimeOriginal
				original = asciiAt(tiff, typ, count, value)
			}
		})
	}
	for _, s := range []string{original, dateTime} {
		if t, err := time.ParseInLocation("2006:01:02 15:04:05", s, clock.China); err == nil && t.Year() > 2000 {
			return t, nil
		}
	}
	return time.Time{}, errNoExifTime
}

// exifSegment finds the APP1 Exif segment and returns its TIFF data.
func exifSegment(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, errNoExifTime
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return nil, errNoExifTime
		}
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // image data or end: no EXIF before it
			return nil, errNoExifTime
		}
		size := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		if size < 2 || i+2+size > len(b) {
			return nil, errNoExifTime
		}
		seg := b[i+4 : i+2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:], nil
		}
		i += 2 + size
	}
	return nil, errNoExifTime
}

// walkIFD calls fn for each entry of the IFD at off (at most 512 entries).
func walkIFD(tiff []byte, order binary.ByteOrder, off uint32, fn func(tag, typ uint16, count, value uint32)) {
	if int64(off)+2 > int64(len(tiff)) {
		return
	}
	n := int(order.Uint16(tiff[off:]))
	for i := range min(n, 512) {
		e := int64(off) + 2 + int64(i)*12
		if e+12 > int64(len(tiff)) {
			return
		}
		fn(order.Uint16(tiff[e:]), order.Uint16(tiff[e+2:]), order.Uint32(tiff[e+4:]), order.Uint32(tiff[e+8:]))
	}
}

// asciiAt reads an ASCII value stored at an offset (EXIF dates are 20
// bytes, always stored outside the entry).
func asciiAt(tiff []byte, typ uint16, count, off uint32) string {
	if typ != 2 || count < 2 || count > 64 || int64(off)+int64(count) > int64(len(tiff)) {
		return ""
	}
	return string(bytes.TrimRight(tiff[off:off+count], "\x00 "))
}
