using System.Buffers.Binary;
using ImageStash.Codecs;

namespace ImageStash.Codecs;

/// <summary>
/// Finds the EXIF orientation tag (0x0112) of a JPEG: its APP1 "Exif" segment holds a TIFF header and IFD0. Every
/// offset is checked against the segment before it is followed, so a damaged header reads as no orientation.
/// </summary>
internal static class Exif
{
    public static ImageOrientation JpegOrientation(ReadOnlySpan<byte> jpeg)
    {
        // Segments follow SOI (FF D8) until the first scan (SOS, FF DA); APP1 is usually first.
        for (int at = 2; at + 4 <= jpeg.Length && jpeg[at] == 0xFF;)
        {
            byte marker = jpeg[at + 1];
            if (marker == 0xDA || marker == 0xD9) break;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { at += 2; continue; } // markers without a length
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (length < 2 || at + 2 + length > jpeg.Length) break;
            var body = jpeg.Slice(at + 4, length - 2);
            if (marker == 0xE1 && body.Length > 14 && body.StartsWith("Exif\0\0"u8)) return FromTiff(body[6..]);
            at += 2 + length;
        }
        return ImageOrientation.Normal;
    }

    private static ImageOrientation FromTiff(ReadOnlySpan<byte> tiff)
    {
        bool little = tiff.StartsWith("II"u8);
        if (!little && !tiff.StartsWith("MM"u8)) return ImageOrientation.Normal;
        if (tiff.Length < 8 || U16(tiff, 2, little) != 42) return ImageOrientation.Normal;
        uint ifd = U32(tiff, 4, little);
        if (ifd > tiff.Length - 2) return ImageOrientation.Normal;
        int entries = U16(tiff, (int)ifd, little);
        for (int i = 0; i < entries; i++)
        {
            int entry = (int)ifd + 2 + i * 12;
            if (entry + 12 > tiff.Length) break;
            if (U16(tiff, entry, little) != 0x0112) continue;
            ushort value = U16(tiff, entry + 8, little); // type SHORT, count 1: the value sits in the first two bytes of the field
            return value is >= 1 and <= 8 ? (ImageOrientation)value : ImageOrientation.Normal;
        }
        return ImageOrientation.Normal;
    }

    private static ushort U16(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt16BigEndian(tiff[at..]);

    private static uint U32(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[at..]);
}
